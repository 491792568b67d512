package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// rootPath names the whole document in a Problem (a syntax error, or a file
// that is not a mapping).
const rootPath = "(file)"

// yaml.v3 reports decoding problems as "line N: …" strings with no path.
// nodeIndex maps them back to YAML paths by parsing the same bytes into a
// node tree and recording where every key and value sits.
type nodeEntry struct {
	line  int
	path  string
	kind  yaml.Kind
	value string
	isKey bool
}

type nodeIndex struct{ byLine map[int][]nodeEntry }

func indexNodes(root *yaml.Node) nodeIndex {
	idx := nodeIndex{byLine: map[int][]nodeEntry{}}
	var walk func(n *yaml.Node, path string, depth int)
	walk = func(n *yaml.Node, path string, depth int) {
		if n == nil || depth > 100 {
			return
		}
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path, depth+1)
			}
			return
		case yaml.AliasNode:
			return
		}
		idx.add(nodeEntry{line: n.Line, path: path, kind: n.Kind, value: n.Value})
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := joinPath(path, k.Value)
				idx.add(nodeEntry{line: k.Line, path: p, kind: k.Kind, value: k.Value, isKey: true})
				walk(v, p, depth+1)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", path, i), depth+1)
			}
		}
	}
	walk(root, "", 0)
	return idx
}

func (x nodeIndex) add(e nodeEntry) { x.byLine[e.line] = append(x.byLine[e.line], e) }

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// keyPath finds the path of mapping key `key` on line.
func (x nodeIndex) keyPath(line int, key string) (string, bool) {
	for _, e := range x.byLine[line] {
		if e.isKey && e.value == key {
			return e.path, true
		}
	}
	return "", false
}

// valuePath finds the value on line that yaml.v3 quoted as `value` (cut to
// 7 bytes and "..." when longer than 10, possibly mid-character), or the
// outermost mapping or sequence on line when kind is set. It returns the
// value's path and its full text.
func (x nodeIndex) valuePath(line int, value string, kind yaml.Kind) (path, full string, ok bool) {
	prefix, truncated := strings.CutSuffix(value, "...")
	for _, e := range x.byLine[line] {
		if e.isKey {
			continue
		}
		if kind != 0 && e.kind == kind {
			return e.path, e.value, true
		}
		if kind == 0 && e.kind == yaml.ScalarNode &&
			(e.value == value || truncated && len(e.value) > 10 && strings.HasPrefix(e.value, prefix)) {
			return e.path, e.value, true
		}
	}
	for _, e := range x.byLine[line] {
		if !e.isKey {
			return e.path, value, true
		}
	}
	return "", value, false
}

// shorten keeps a quoted value readable on one line.
func shorten(s string) string {
	r := []rune(s)
	if len(r) > 24 {
		return string(r[:21]) + "..."
	}
	return s
}

var (
	reLine       = regexp.MustCompile(`^line (\d+): (.*)$`)
	reNotFound   = regexp.MustCompile(`^field (.+) not found in type \S+$`)
	reDupKey     = regexp.MustCompile(`^mapping key (".*") already defined at line (\d+)$`)
	reDupKeyLine = regexp.MustCompile(`^line \d+: mapping key ".*" already defined at line \d+$`)
	reUnmarshal  = regexp.MustCompile("^cannot unmarshal !!(\\w+)(?: `(.*)`)? into (.+)$")
	reInvalid    = regexp.MustCompile(`^invalid (duration|date|time of day) (".*"): (.*)$`)
	reSyntaxLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
)

// problem turns one yaml.v3 TypeError line into a Problem, and says which
// path its failure leaves undecoded (so validation does not report the same
// spot again as empty).
func (x nodeIndex) problem(msg string) (Problem, string) {
	p := x.problemAt(msg)
	covered := p.Path
	if reDupKeyLine.MatchString(msg) {
		// yaml.v3 skips the whole mapping that holds a duplicate key.
		if i := strings.LastIndexByte(covered, '.'); i >= 0 {
			covered = covered[:i]
		} else {
			covered = rootPath
		}
	}
	return p, covered
}

func (x nodeIndex) problemAt(msg string) Problem {
	m := reLine.FindStringSubmatch(msg)
	if m == nil {
		return Problem{Path: rootPath, ZH: "无法解析：" + msg, EN: "cannot decode: " + msg}
	}
	line, _ := strconv.Atoi(m[1])
	rest := m[2]
	pathOr := func(p string, ok bool) string {
		if !ok || p == "" {
			return rootPath
		}
		return p
	}
	if m := reNotFound.FindStringSubmatch(rest); m != nil {
		p, ok := x.keyPath(line, m[1])
		return Problem{Path: pathOr(p, ok),
			ZH: fmt.Sprintf("未知字段（第%d行），请检查拼写", line),
			EN: fmt.Sprintf("unknown field (line %d); check the spelling", line)}
	}
	if m := reDupKey.FindStringSubmatch(rest); m != nil {
		key, err := strconv.Unquote(m[1])
		if err != nil {
			key = m[1]
		}
		p, ok := x.keyPath(line, key)
		return Problem{Path: pathOr(p, ok),
			ZH: fmt.Sprintf("第%d行重复出现（第%s行已写过）", line, m[2]),
			EN: fmt.Sprintf("duplicate key at line %d (already defined at line %s)", line, m[2])}
	}
	if m := reUnmarshal.FindStringSubmatch(rest); m != nil {
		tag, value, target := m[1], m[2], m[3]
		var kind yaml.Kind
		switch tag {
		case "map":
			kind = yaml.MappingNode
		case "seq":
			kind = yaml.SequenceNode
		}
		p, full, ok := x.valuePath(line, value, kind)
		zhWant, enWant := describeType(target)
		got := "`" + shorten(full) + "`"
		if value == "" {
			zhGot, enGot := map[string]string{"map": "映射", "seq": "列表"}[tag], map[string]string{"map": "mapping", "seq": "list"}[tag]
			if zhGot == "" {
				zhGot, enGot = tag, tag
			}
			return Problem{Path: pathOr(p, ok),
				ZH: fmt.Sprintf("第%d行写成了%s，应为%s", line, zhGot, zhWant),
				EN: fmt.Sprintf("line %d: found a %s, want %s", line, enGot, enWant)}
		}
		return Problem{Path: pathOr(p, ok),
			ZH: fmt.Sprintf("第%d行的值 %s 不是%s", line, got, zhWant),
			EN: fmt.Sprintf("line %d: %s is not %s", line, got, enWant)}
	}
	if m := reInvalid.FindStringSubmatch(rest); m != nil {
		kind, quoted, detail := m[1], m[2], m[3]
		value, err := strconv.Unquote(quoted)
		if err != nil {
			value = quoted
		}
		p, _, ok := x.valuePath(line, value, 0)
		zh := map[string]string{
			"duration":    "不是有效的时长，应写成数字加单位，如 3s、30m、6h",
			"date":        "不是有效的日期，应写成 YYYY-MM-DD，如 2027-03-01",
			"time of day": "不是有效的时刻，应写成 HH:MM，如 21:00",
		}[kind]
		return Problem{Path: pathOr(p, ok),
			ZH: fmt.Sprintf("%s %s（第%d行）", quoted, zh, line),
			EN: fmt.Sprintf("%s is not a valid %s (line %d); %s", quoted, kind, line, detail)}
	}
	p, _, ok := x.valuePath(line, "", 0)
	return Problem{Path: pathOr(p, ok),
		ZH: fmt.Sprintf("第%d行无法解析：%s", line, rest),
		EN: fmt.Sprintf("line %d: %s", line, rest)}
}

// describeType names a Go target type as people know it.
func describeType(t string) (zh, en string) {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "列表", "a list"
	case t == "string":
		return "文字", "text"
	case t == "bool":
		return "布尔值（true 或 false）", "true or false"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint"):
		return "整数", "a whole number"
	case strings.HasPrefix(t, "float"):
		return "数字", "a number"
	}
	return "映射（键: 值）", "a mapping (key: value)"
}

// syntaxProblem reports a YAML syntax error (the file is not YAML at all).
func syntaxProblem(err error) Problem {
	msg := err.Error()
	if m := reSyntaxLine.FindStringSubmatch(msg); m != nil {
		return Problem{Path: rootPath,
			ZH: fmt.Sprintf("第%s行 YAML 格式错误：%s", m[1], m[2]),
			EN: fmt.Sprintf("YAML syntax error at line %s: %s", m[1], m[2])}
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	return Problem{Path: rootPath,
		ZH: "YAML 格式错误：" + msg,
		EN: "YAML syntax error: " + msg}
}
