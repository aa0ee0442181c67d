package main

import (
	"context"
	"flag"
	"fmt"

	"certkiosk/liveness/fixture"
	"certkiosk/store"
)

func cmdDemoClip(_ context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("democlip", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	out := fs.String("out", "", "output file (.avi)")
	seconds := fs.Float64("seconds", 12, "length in seconds")
	if err := fs.Parse(args); err != nil || *out == "" || fs.NArg() > 0 || *seconds <= 0 {
		return errUsage
	}
	r, err := fixture.NewRenderer("")
	if err != nil {
		return err
	}
	defer r.Close()
	spec := fixture.DemoSpec()
	spec.Seconds = *seconds
	if _, err := r.Render(spec, *out); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, *out)
	return nil
}

func cmdDemoRoster(ctx context.Context, e *env, args []string) error {
	if len(args) != 0 {
		return errUsage
	}
	db, err := store.Open(ctx, e.dataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := store.SeedDemo(ctx, db); err != nil {
		return err
	}
	n, err := db.CountRetirees(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "roster: %d retirees\n", n)
	return nil
}
