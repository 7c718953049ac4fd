package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// pinCPUs binds every thread of process pid, and the threads it starts
// later, to the CPUs of list (taskset's form, "0" or "0-1").
func pinCPUs(pid int, list string) error {
	out, err := exec.Command("taskset", "-a", "-p", "-c", list, strconv.Itoa(pid)).CombinedOutput()
	if err != nil {
		return fmt.Errorf("taskset -a -p -c %s %d: %v: %s", list, pid, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// pinApart puts the server on CPU 0 and this program (the generator) on
// CPU 1, so that the audio measured is the server's own work and not two
// processes crowding each other off one core; undo puts both back on
// every CPU. With fewer than two CPUs it does nothing.
func pinApart(server int) (undo func(), err error) {
	n := runtime.NumCPU()
	if n < 2 {
		return func() {}, nil
	}
	all := fmt.Sprintf("0-%d", n-1)
	undo = func() {
		_ = pinCPUs(server, all)
		_ = pinCPUs(os.Getpid(), all)
	}
	if err := pinCPUs(server, "0"); err != nil {
		return func() {}, err
	}
	if err := pinCPUs(os.Getpid(), "1"); err != nil {
		undo()
		return func() {}, err
	}
	return undo, nil
}
