// Command jcs is the JointCloud storage server.
//
// Usage:
//
//	jcs serve [flags]           start the server (see `jcs serve -h`)
//	jcs presign [flags] URL     print a presigned /v1 URL (GET, or POST for uploads), signed with the root key
//	jcs bench [flags]           measure throughput and latency of the /v1 API, an S3 endpoint or the disk baseline
//	jcs admin COMMAND           manage users and access keys of a running server
//	jcs version                 print the version
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

const usage = `jcs is the JointCloud storage server.

Usage:
  jcs serve [flags]          start the server; "jcs serve -h" lists the flags
  jcs presign [flags] URL    print a presigned /v1 URL (GET, or POST for uploads), signed with the root key
  jcs bench [flags]          measure throughput and latency of the /v1 API, an S3 endpoint or the disk baseline;
                             "jcs bench -h" lists the flags
  jcs admin COMMAND          manage users and access keys of a running server; "jcs admin -h" lists them
  jcs version                print the version
`

// run executes one command and returns the process exit code.
func run(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serveCommand(args[1:], stdout, stderr, getenv)
	case "presign":
		err = presignCommand(args[1:], stdout, stderr, getenv)
	case "bench":
		err = benchCommand(args[1:], stdout, stderr, getenv)
	case "admin":
		err = adminCommand(args[1:], stdout, stderr, getenv)
	case "version":
		fmt.Fprintln(stdout, "jcs", version())
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "jcs: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		fmt.Fprintln(stderr, "jcs:", err)
		return 1
	}
	return 0
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
