package main

import (
	"context"
	"flag"
	"fmt"

	"certkiosk/assets"
	"certkiosk/camera"
	"certkiosk/store"
)

func cmdDemoClip(_ context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("democlip", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	out := fs.String("out", "", "output file (.avi)")
	seconds := fs.Float64("seconds", 12, "length in seconds")
	seed := fs.Int64("seed", 1, "random seed of the drift")
	if err := fs.Parse(args); err != nil || *out == "" || fs.NArg() > 0 {
		return errUsage
	}
	p, err := camera.DecodePortrait(assets.Portrait)
	if err != nil {
		return err
	}
	defer p.Close()
	if err := camera.RenderDrift(p, *out, camera.DriftOptions{Seconds: *seconds, Seed: *seed}); err != nil {
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
