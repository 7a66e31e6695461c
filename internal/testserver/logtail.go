package testserver

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// logPath is the server's own log (--logfile).
func logPath(dir string) string { return filepath.Join(dir, "server.log") }

// stdioPath captures stdout/stderr: config errors are printed there before
// the server has opened its log file.
func stdioPath(dir string) string { return filepath.Join(dir, "stdio.log") }

// logTail returns the last lines of both output files, formatted for
// inclusion in an error so a failed start explains itself.
func logTail(dir string) string {
	var b strings.Builder
	for _, p := range []string{stdioPath(dir), logPath(dir)} {
		if t := tailFile(p, 20); t != "" {
			b.WriteString("\n--- " + filepath.Base(p) + " (tail) ---\n" + t)
		}
	}
	if b.Len() == 0 {
		return " (server wrote no log)"
	}
	return b.String()
}

// tailFile returns up to the last n lines of a file, reading at most 8 KiB.
func tailFile(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	const max = 8 << 10
	if st, err := f.Stat(); err == nil && st.Size() > max {
		f.Seek(st.Size()-max, io.SeekStart)
	}
	data, _ := io.ReadAll(f)
	data = bytes.TrimRight(data, "\n")
	lines := strings.Split(string(data), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// logSize is the current length of the server log; a launch records it so
// later checks look only at what that launch wrote (Restart appends).
func logSize(dir string) int64 {
	st, err := os.Stat(logPath(dir))
	if err != nil {
		return 0
	}
	return st.Size()
}

// bindFailed reports whether the launch that began at log offset since failed
// because a port was taken, the one failure worth retrying.
func bindFailed(dir string, since int64) bool {
	f, err := os.Open(logPath(dir))
	if err != nil {
		return false
	}
	defer f.Close()
	if _, err := f.Seek(since, io.SeekStart); err != nil {
		return false
	}
	data, _ := io.ReadAll(io.LimitReader(f, 64<<10))
	return bytes.Contains(data, []byte("Address already in use"))
}
