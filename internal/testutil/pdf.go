package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ConvertPDF runs soffice --headless --convert-to pdf in a private HOME and
// profile under dir and returns the PDF's path. The context is a hang guard
// (the test binary's deadline), not a window: LibreOffice on a loaded
// machine is slow, not wrong.
func ConvertPDF(t testing.TB, soffice, dir, src string) string {
	t.Helper()
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(HangGuard(t), soffice, "--headless", "--norestore", "--nologo", "--nolockcheck",
		"-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--convert-to", "pdf", "--outdir", dir, src)
	cmd.Env = []string{"HOME=" + home, "TMPDIR=" + dir, "PATH=/usr/bin:/bin", "LANG=C.UTF-8"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	pdf := strings.TrimSuffix(src, filepath.Ext(src)) + ".pdf"
	if st, err := os.Stat(pdf); err != nil || st.Size() == 0 {
		t.Fatalf("no PDF from soffice: %v\n%s", err, out)
	}
	return pdf
}
