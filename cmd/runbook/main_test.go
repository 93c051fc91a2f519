package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// binary is the runbook executable built once for the tests that run it as
// a real process.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "runbook-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "runbook")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build runbook:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what a finished command printed.
type result struct {
	code   int
	stdout string
	stderr string
}

// runCLI runs the binary to completion with a deadline.
func runCLI(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = t.TempDir()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Stdin = strings.NewReader(stdin)
	err := cmd.Run()
	code := 0
	if err != nil {
		exitErr, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run %v: %v", args, err)
		}
		code = exitErr.ExitCode()
	}
	if ctx.Err() != nil {
		t.Fatalf("runbook %v did not finish: stdout %s stderr %s", args, out.String(), errb.String())
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// process is a runbook process running in the background whose output
// lines the test can wait for.
type process struct {
	t     *testing.T
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	added chan struct{}
	done  chan struct{}
}

func startProcess(t *testing.T, args ...string) *process {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = t.TempDir()
	// A process group of its own, so that the cleanup also ends the
	// processes it started (bench --runs), which hold its output open.
	ownProcessGroup(cmd)
	p := &process{t: t, cmd: cmd, added: make(chan struct{}, 1), done: make(chan struct{})}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	for _, r := range []io.Reader{stdout, stderr} {
		go func() {
			defer wg.Done()
			s := bufio.NewScanner(r)
			for s.Scan() {
				p.mu.Lock()
				p.lines = append(p.lines, s.Text())
				p.mu.Unlock()
				select {
				case p.added <- struct{}{}:
				default:
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		killProcessGroup(cmd)
		<-p.done
	})
	return p
}

// waitLine waits until the process printed a line containing s.
func (p *process) waitLine(s string) string {
	p.t.Helper()
	return p.waitLines(s, 1)
}

// waitLines waits until the process printed n lines containing s, and
// returns the last of them.
func (p *process) waitLines(s string, n int) string {
	p.t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		p.mu.Lock()
		seen := 0
		for _, l := range p.lines {
			if strings.Contains(l, s) {
				if seen++; seen == n {
					p.mu.Unlock()
					return l
				}
			}
		}
		p.mu.Unlock()
		select {
		case <-p.added:
		case <-p.done:
			p.mu.Lock()
			defer p.mu.Unlock()
			seen := 0
			for _, l := range p.lines {
				if strings.Contains(l, s) {
					if seen++; seen == n {
						return l
					}
				}
			}
			p.t.Fatalf("process exited without printing %d lines with %q:\n%s", n, s, strings.Join(p.lines, "\n"))
		case <-deadline:
			p.t.Fatalf("process did not print %d lines with %q:\n%s", n, s, p.output())
		}
	}
}

func (p *process) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// kill ends the process with SIGKILL, as a crash would.
func (p *process) kill() {
	p.t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		p.t.Fatal(err)
	}
	<-p.done
}

// stop asks the process to shut down (SIGTERM) and waits for it.
func (p *process) stop() {
	p.t.Helper()
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.t.Fatalf("process did not stop:\n%s", p.output())
	}
}
