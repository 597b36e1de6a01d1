package main

import (
	"fmt"
	"runtime"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

var versionCmd = &command{
	name:    "version",
	summary: "print the version of parley and of Go",
	run: func(e *env, args []string) error {
		fs := e.flags("", "Prints the version of parley and of the Go toolchain that built it.")
		if _, err := e.parse(fs, args, 0, 0); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "parley %s (%s %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return nil
	},
}
