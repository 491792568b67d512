//go:build unix

package extract

import (
	"os/exec"
	"syscall"
)

// setProcessGroup starts the converter in its own process group and makes
// the deadline kill the whole group: LibreOffice forks soffice.bin.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
