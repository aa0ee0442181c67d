// Command kioskctl is certkiosk's headless operations tool for supervisors
// and scripts. It links no GUI toolkit.
//
//	kioskctl [--data DIR] COMMAND [flags]
//
// Exit status 0 on success; 1 with a message on stderr on any failure;
// 2 for a usage error.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// main only wires: the commands and their dispatch are in cli.go, tested
// in-process by main_test.go.
func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
