// Command certkiosk is the counter kiosk for the annual pension entitlement
// certification (养老金领取资格认证). main only wires: the screens live in
// package ui, the data in store, frames in camera.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"

	"certkiosk"
	"certkiosk/camera"
	"certkiosk/store"
	"certkiosk/ui"

	"fyne.io/fyne/v2/app"
)

func main() {
	dataDir := flag.String("data", certkiosk.DefaultDataDir(), "data directory (database, demo clip)")
	demo := flag.Bool("demo", false, "demo mode: demo roster, and the demo clip when no webcam is found")
	device := flag.Int("camera", 0, "webcam index (/dev/videoN); -1 for none")
	video := flag.String("video", "", "play this video file instead of a webcam")
	language := flag.String("lang", "zh", "interface language: zh or en")
	flag.Parse()
	if err := run(*dataDir, *demo, *device, *video, *language); err != nil {
		fmt.Fprintln(os.Stderr, "certkiosk:", err)
		os.Exit(1)
	}
}

func run(dataDir string, demo bool, device int, video, language string) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := ui.UseLanguage(language); err != nil {
		return err
	}
	db, err := store.Open(ctx, dataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	if demo {
		if err := store.SeedDemo(ctx, db); err != nil {
			return err
		}
	}
	if _, err := db.PurgeEvidence(ctx, "certkiosk"); err != nil {
		log.Printf("evidence retention: %v", err) // retried at the next start
	}
	n, err := db.CountRetirees(ctx)
	if err != nil {
		return err
	}
	src, info, err := camera.Choose(device, video, demo, dataDir)
	if err != nil {
		log.Printf("camera: %v", err) // the window says so in Chinese
	}
	a := app.NewWithID("cn.certkiosk.kiosk")
	shell := ui.NewShell(a, ui.ShellInfo{Demo: demo, Version: certkiosk.Version, DataDir: dataDir,
		RosterCount: n, Camera: info.Name, CameraDemo: info.Demo})
	if src != nil {
		defer src.Close()
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := ui.Feed(ctx, src, shell.Preview, shell.SetCameraError); err != nil {
				log.Printf("camera: %v", err)
			}
		}()
		defer func() { cancel(); <-done }() // stop capture before the source closes
	}
	shell.Window.ShowAndRun()
	return nil
}
