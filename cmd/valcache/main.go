// Command valcache shows, measures and inspects valcache caches.
//
//	valcache demo    [--valkey ADDR | --cluster ADDR,...]
//	valcache bench   [flags]
//	valcache inspect <namespaces|show|invalidate|clear|server> [flags] [args]
//	valcache proxy   --origin URL [--listen ADDR] [--valkey ADDR | --cluster ADDR,...]
//
// demo runs a short guided tour of the cache with real measured numbers, on
// the in-process provider or on Valkey. bench is a workload generator for
// sizing a deployment. inspect looks at, and operates on, a Valkey-backed
// cache. proxy is a caching reverse proxy in front of an origin
// (docs/httpcache.md). docs/cli.md lists the other commands' flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// console is what a command talks to: its streams, and whether stderr is a
// terminal (live progress is drawn only there).
type console struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	terminal       bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	con := console{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, terminal: isTerminal(os.Stderr)}
	code := run(ctx, os.Args[1:], con)
	stop()
	os.Exit(code)
}

// isTerminal reports whether f is a character device, which is how a
// terminal looks to a process; pipes and files are not.
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func run(ctx context.Context, args []string, con console) int {
	if len(args) == 0 {
		usage(con.stderr)
		return exitUsage
	}
	switch args[0] {
	case "demo":
		return runDemo(ctx, args[1:], con)
	case "bench":
		return runBench(ctx, args[1:], con)
	case "inspect":
		return runInspect(ctx, args[1:], con)
	case "proxy":
		return runProxy(ctx, args[1:], con)
	case "help", "-h", "-help", "--help":
		usage(con.stdout)
		return exitOK
	}
	fmt.Fprintf(con.stderr, "valcache: unknown command %q\n", args[0])
	usage(con.stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: valcache <command> [flags]

commands:
  demo     a guided run of the cache with measured numbers
           (in-process by default; --valkey ADDR or --cluster ADDR,... for Valkey)
  bench    a workload generator for sizing a deployment: throughput, latency
           percentiles, hit ratio; text, --json or an --html report
  inspect  look at and operate a Valkey-backed cache:
           namespaces, show, invalidate, clear, server
  proxy    a caching reverse proxy in front of --origin URL
           (in-process by default; --valkey ADDR to share it across proxies)
  help     this text

Run 'valcache <command> -h' for a command's flags; docs/cli.md has them all.
`)
}

// parseFlags parses args into fs and maps the outcome to an exit code:
// done is set when the command should stop (help asked, or a usage error
// already reported by the flag package).
func parseFlags(fs *flag.FlagSet, args []string) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return exitOK, false
	case errors.Is(err, flag.ErrHelp):
		return exitOK, true
	}
	return exitUsage, true
}

// usageError reports a bad invocation the flag package cannot see.
func usageError(con console, cmd, format string, args ...any) int {
	fmt.Fprintf(con.stderr, "valcache %s: %s\n", cmd, fmt.Sprintf(format, args...))
	fmt.Fprintf(con.stderr, "run 'valcache %s -h' for usage\n", cmd)
	return exitUsage
}

// fail reports err as one line and returns exitError.
func fail(con console, cmd string, err error) int {
	msg := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
	fmt.Fprintf(con.stderr, "valcache %s: %s\n", cmd, msg)
	return exitError
}
