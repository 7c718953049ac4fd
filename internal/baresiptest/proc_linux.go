package baresiptest

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel kill baresip if the test binary dies
// before its clean-up runs (a panic, a timeout).
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
