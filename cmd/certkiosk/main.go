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
	"time"

	"certkiosk"
	"certkiosk/camera"
	"certkiosk/store"
	ksync "certkiosk/sync"
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
	client, syncErr := ksync.ClientFor(ctx, db)
	counts, err := db.SyncCounts(ctx)
	if err != nil {
		return err
	}
	a := app.NewWithID("cn.certkiosk.kiosk")
	shell := ui.NewShell(a, ui.ShellInfo{Demo: demo, Version: certkiosk.Version, DataDir: dataDir,
		RosterCount: n, Camera: info.Name, CameraDemo: info.Demo, Enrolled: syncErr == nil, Pending: counts.Pending})
	if syncErr == nil {
		// The outbox drains in the background whenever the network is up.
		w := &ksync.Worker{DB: db, Client: client, OnProgress: func(p ksync.Progress) {
			c, _ := db.SyncCounts(ctx)
			switch {
			case p.Err != nil:
				log.Printf("sync: %v", p.Err)
				shell.SetSyncStatus(c.Pending, time.Time{}, certkiosk.ErrorMessageOf(p.Err))
			case p.Done:
				shell.SetSyncStatus(c.Pending, time.Now(), "")
			default:
				shell.SetSyncStatus(c.Pending, time.Time{}, "")
			}
		}}
		done := make(chan struct{})
		go func() { defer close(done); w.Run(ctx) }()
		defer func() { cancel(); <-done }()
	}
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
