package promref

import "syscall"

// sysProcAttr makes the kernel kill the reference Prometheus when the test
// binary dies without calling Close (a panic or a test timeout), so no
// server outlives its test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
