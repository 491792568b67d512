package board

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
)

// ErrNoFont means no CJK font was found: the caller sends the text only.
var ErrNoFont = errors.New("board: no CJK font found")

// KnownFontPaths are where common Linux, macOS and Windows installs keep a
// font with simplified Chinese glyphs, in order of preference. Collections
// (.ttc) are read with opentype.ParseCollection, which gg's own TrueType
// loader cannot do.
var KnownFontPaths = []string{
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
	"/usr/share/fonts/truetype/arphic/uming.ttc",
	"/System/Library/Fonts/PingFang.ttc",
	"/System/Library/Fonts/STHeiti Light.ttc",
	`C:\Windows\Fonts\msyh.ttc`,
	`C:\Windows\Fonts\simhei.ttf`,
}

// FindFont returns the configured font file when set (an error names it if
// it cannot be read as a font), else the first known path that exists, else
// ErrNoFont.
func FindFont(configured string) (string, error) {
	if configured != "" {
		if _, err := LoadFont(configured); err != nil {
			return "", err
		}
		return configured, nil
	}
	for _, p := range KnownFontPaths {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", ErrNoFont
}

// Font is a parsed font with Chinese glyphs; faces of any size come from it.
type Font struct {
	Path string
	f    *sfnt.Font
}

var (
	fontsMu sync.Mutex
	fonts   = map[string]*Font{}
)

// LoadFont parses a .ttf/.otf file or picks the simplified-Chinese member of
// a .ttc/.otc collection. Parsed fonts are kept for the process (a CJK
// collection is ~20 MB and takes a noticeable time to parse).
func LoadFont(path string) (*Font, error) {
	fontsMu.Lock()
	if f, ok := fonts[path]; ok {
		fontsMu.Unlock()
		return f, nil
	}
	fontsMu.Unlock()
	// Parsed outside the lock: it reads a file.
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("board: font %s: %w", path, err)
	}
	sf, err := parseChinese(b)
	if err != nil {
		return nil, fmt.Errorf("board: font %s: %w", path, err)
	}
	f := &Font{Path: path, f: sf}
	fontsMu.Lock()
	if old, ok := fonts[path]; ok {
		f = old
	} else {
		fonts[path] = f
	}
	fontsMu.Unlock()
	return f, nil
}

// parseChinese parses one font, or the member of a collection whose family
// name says simplified Chinese (" SC"), else the first member that has a
// glyph for 督.
func parseChinese(b []byte) (*sfnt.Font, error) {
	c, err := opentype.ParseCollection(b)
	if err != nil {
		return nil, err
	}
	var buf sfnt.Buffer
	var fallback *sfnt.Font
	for i := 0; i < c.NumFonts(); i++ {
		f, err := c.Font(i)
		if err != nil {
			return nil, err
		}
		if idx, err := f.GlyphIndex(&buf, '督'); err != nil || idx == 0 {
			continue
		}
		if name, err := f.Name(&buf, sfnt.NameIDFamily); err == nil && strings.HasSuffix(name, " SC") {
			return f, nil
		}
		if fallback == nil {
			fallback = f
		}
	}
	if fallback == nil {
		return nil, errors.New("no member has Chinese glyphs")
	}
	return fallback, nil
}

// Face makes a face of size px (at 72 DPI one point is one pixel). A face
// is not safe for concurrent use: make one per drawing.
func (f *Font) Face(px float64) (font.Face, error) {
	face, err := opentype.NewFace(f.f, &opentype.FaceOptions{Size: px, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, fmt.Errorf("board: face %.0fpx: %w", px, err)
	}
	return face, nil
}
