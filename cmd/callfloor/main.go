// Command callfloor is the callfloor contact-centre server: `serve` runs
// it, `demo` runs it with a seeded demo account, `admin` manages accounts
// and users from the shell, `version` prints the build.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	_ "time/tzdata" // account time zones work on machines without zoneinfo
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "callfloor:", err)
		}
		os.Exit(2)
	}
}

const usage = `callfloor: an open-source contact-centre platform

Usage:
  callfloor serve   [flags]        run the server
  callfloor demo    [flags]        run the server with a seeded demo account
  callfloor admin   <command> ...  manage accounts and users (callfloor admin help)
  callfloor version                print the version

Run "callfloor serve -h" for the settings; each is also a CALLFLOOR_* environment
variable and a key of the YAML file given with --config (see callfloor.sample.yaml).
`

func run(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "serve", "demo":
		demo := args[0] == "demo"
		cfg, err := LoadConfig(args[0], args[1:], env, demo, nil)
		if err != nil {
			return err
		}
		return serve(ctx, cfg, demo, stdout)
	case "admin":
		return runAdmin(ctx, args[1:], env, stdin, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "callfloor", buildVersion())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "callfloor: unknown command %q\n\n%s", args[0], usage)
	return errUsage
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
	}
	return "dev"
}
