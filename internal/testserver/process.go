package testserver

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// process is one running server. A single goroutine waits for the exit so
// that "has it died?" is a cheap channel check; it ends when the process
// does, and Stop/Kill always wait for that, so no goroutine outlives a server.
type process struct {
	cmd     *exec.Cmd
	done    chan struct{} // closed once the process has exited
	waitErr error         // valid after done is closed
}

// startProcess launches bin with args, stdout/stderr going to the dir's
// stdio file (an *os.File, so os/exec needs no copying goroutines).
func startProcess(bin string, args []string, dir string) (*process, error) {
	out, err := os.OpenFile(stdioPath(dir), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("testserver: open stdio log: %w", err)
	}
	defer out.Close() // the child holds its own copy
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout = out
	cmd.Stderr = out
	bindToParent(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("testserver: start %s: %w", bin, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has already ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait blocks until the process exits or the timeout passes.
func (p *process) wait(timeout time.Duration) bool {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
		return false
	}
}

// kill sends SIGKILL and waits for the exit to be reaped.
func (p *process) kill() error {
	if p.exited() {
		return nil
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("testserver: kill pid %d: %w", p.cmd.Process.Pid, err)
	}
	if !p.wait(10 * time.Second) {
		return fmt.Errorf("testserver: pid %d did not exit after SIGKILL", p.cmd.Process.Pid)
	}
	return nil
}

// signal sends sig to a running process; a process that has exited already
// needs none.
func (p *process) signal(sig syscall.Signal) error {
	if p.exited() {
		return nil
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("testserver: signal %v to pid %d: %w", sig, p.cmd.Process.Pid, err)
	}
	return nil
}
