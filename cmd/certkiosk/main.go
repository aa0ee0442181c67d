// Command certkiosk is the counter kiosk for the annual pension entitlement
// certification (养老金领取资格认证). main only wires: the screens live in
// package ui, the data in store, frames in camera, the wire in sync.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"certkiosk"
	"certkiosk/camera"
	"certkiosk/liveness/face"
	"certkiosk/liveness/fixture"
	"certkiosk/store"
	ksync "certkiosk/sync"
	"certkiosk/ui"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
)

func main() {
	dataDir := flag.String("data", certkiosk.DefaultDataDir(), "data directory (database, demo clip)")
	demo := flag.Bool("demo", false, "demo mode: demo roster and staff, and the demo clip when no webcam is found")
	device := flag.Int("camera", 0, "webcam index (/dev/videoN); -1 for none")
	video := flag.String("video", "", "play this video file instead of a webcam (demo mode only)")
	language := flag.String("lang", "zh", "interface language: zh or en")
	customer := flag.Bool("customer", false, "open the retiree-facing window for a second monitor (full-screen)")
	screen := flag.String("screen", "", "open this screen after signing in as --staff (screenshots): home, records, sync, device, retiree")
	staff := flag.String("staff", "", "sign in as this staff ID with the PIN from stdin (screenshots)")
	version := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *version {
		fmt.Println("certkiosk", certkiosk.Version)
		return
	}
	if err := run(*dataDir, *demo, *device, *video, *language, *staff, *screen, *customer); err != nil {
		fmt.Fprintln(os.Stderr, "certkiosk:", certkiosk.ErrorMessageOf(err), "—", err)
		os.Exit(1)
	}
}

func run(dataDir string, demo bool, device int, video, language, staff, screen string, customer bool) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if demo && !flagSet("data") {
		// Demo data (a known demo PIN, invented people) never shares a
		// database with real work.
		dataDir = filepath.Join(dataDir, "demo")
	}
	if err := ui.UseLanguage(language); err != nil {
		return err
	}
	// A real data directory certifies only from a camera: a video file
	// stands in for one only in demo mode, on demo data.
	if video != "" && !demo {
		return certkiosk.Errorf(certkiosk.EINVALID, "视频文件只能在演示模式（--demo）下代替摄像头",
			"--video %s needs --demo", video)
	}
	db, err := store.Open(ctx, dataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	if demo {
		if err := store.SeedDemo(ctx, db); err != nil { // refuses a directory with real data
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
	if !flagSet("camera") { // the supervisor's choice in Settings
		device, _ = db.IntSetting(ctx, store.SetCameraIndex, device)
	}
	var demoClip func() (string, error)
	if demo {
		demoClip = func() (string, error) { return fixture.EnsureDemoClip(filepath.Join(dataDir, "demo")) }
	}
	model := face.Preload("") // ≈ 0.4 s, in the background while the window opens
	src, info, err := camera.Choose(device, video, demoClip)
	if err != nil {
		log.Printf("camera: %v", err) // the device screen says so in Chinese
	}
	go func() {
		if err := <-model; err != nil {
			log.Printf("liveness: %v", err) // a check then says so when it starts
		}
	}()
	counts, err := db.SyncCounts(ctx)
	if err != nil {
		return err
	}
	client, notEnrolled := ksync.ClientFor(ctx, db)
	shell := ui.NewShell(ui.ShellInfo{Demo: demo, Version: certkiosk.Version, DataDir: dataDir, RosterCount: n,
		Camera: info.Name, CameraDemo: info.Demo, Enrolled: notEnrolled == nil, Pending: counts.Pending})

	a := app.NewWithID("cn.certkiosk.kiosk")
	speaker, err := ui.NewSpeaker()
	if err != nil {
		log.Printf("sound: %v (prompts will be shown, not spoken)", err)
	}
	if muted, _ := db.IntSetting(ctx, store.SetSoundMuted, 0); muted == 1 {
		speaker.SetMuted(true)
	}
	checker := &ui.LiveChecker{
		Blinks: func() int { n, _ := db.IntSetting(ctx, store.SetBlinks, store.DefaultBlinks); return n },
		TimeLimit: func() time.Duration {
			n, _ := db.IntSetting(ctx, store.SetTimeoutSecs, store.DefaultTimeout)
			return time.Duration(n) * time.Second
		},
	}
	opt := ui.Options{Demo: demo, Version: certkiosk.Version, Device: func() fyne.CanvasObject { return shell.Content },
		Preview: shell.Preview, Speaker: speaker, ReceiptDir: filepath.Join(dataDir, "receipts"), Print: printPDF,
		FrameSource: frameSource(video, info)}
	if src != nil {
		opt.Checker = checker
	}
	if customer {
		opt.Customer = ui.NewCustomerView(a)
		opt.Customer.Window.Show()
		opt.Customer.Window.SetFullScreen(true)
	}
	var worker *ksync.Worker
	if notEnrolled == nil && !demo { // demo data is never reported
		worker = &ksync.Worker{DB: db, Client: client}
		opt.Sync = &syncControl{w: worker, db: db}
	}
	kiosk := ui.NewKiosk(a, db, opt)
	if worker != nil {
		worker.OnProgress = func(p ksync.Progress) {
			c, _ := db.SyncCounts(ctx)
			sp := ui.SyncProgress{Sent: p.Sent, Total: p.Total, Pending: c.Pending}
			if p.Err != nil {
				log.Printf("sync: %v", p.Err)
				sp.Failure = certkiosk.ErrorMessageOf(p.Err)
			}
			if p.Done {
				sp.Done = time.Now()
			}
			kiosk.SetSyncProgress(sp)
		}
		done := make(chan struct{})
		defer func() { cancel(); <-done }() // the worker stops before the database closes
		go func() { defer close(done); worker.Run(ctx) }()
	}
	if src != nil {
		defer src.Close()
		done := make(chan struct{})
		go func() {
			defer close(done)
			var mirror *ui.Preview
			if opt.Customer != nil {
				mirror = opt.Customer.Preview
			}
			if err := ui.Feed(ctx, src, shell.Preview, checker, shell.SetCameraError, mirror); err != nil {
				log.Printf("camera: %v", err)
			}
		}()
		defer func() { cancel(); <-done }() // stop capture before the source closes
	}
	if staff != "" {
		if err := signIn(kiosk, staff, screen); err != nil {
			return err
		}
	}
	kiosk.Window.ShowAndRun()
	return nil
}

// syncControl lets the sync screen drive the worker and export bundles.
type syncControl struct {
	w  *ksync.Worker
	db *store.DB
}

func (s *syncControl) SyncNow() { s.w.SyncNow() }

func (s *syncControl) Export(ctx context.Context, path string) (int, error) {
	return ksync.ExportBundle(ctx, s.db, "certkiosk", path)
}

// frameSource is what records made with this source say about their frames.
func frameSource(video string, c camera.Choice) certkiosk.FrameSource {
	switch {
	case c.Demo:
		return certkiosk.FrameDemo
	case video != "":
		return certkiosk.FrameFile
	}
	return certkiosk.FrameCamera
}
