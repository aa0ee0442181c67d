package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"certkiosk"
	"certkiosk/audio"
	"certkiosk/camera"
	"certkiosk/check"
	"certkiosk/check/live"
	"certkiosk/idcard"
	"certkiosk/internal/memtune"
	"certkiosk/liveness/face"
	"certkiosk/liveness/fixture"
	"certkiosk/store"
	ksync "certkiosk/sync"
	"certkiosk/sync/terminal"
	"certkiosk/ui"

	"fyne.io/fyne/v2"
	"golang.org/x/sync/errgroup"
)

// runKiosk builds the kiosk and runs it until its window closes or ctx
// ends (with CERTKIOSK_PERF_CHECKS, it measures itself: scripts/perf.sh).
func runKiosk(ctx context.Context, a fyne.App, c config) error {
	memtune.SetGo()
	checks, measure, err := perfChecks()
	if err != nil {
		return err
	}
	ka, err := newApp(ctx, a, c)
	if err != nil {
		return err
	}
	if measure {
		go ka.measure(ctx, checks)
	}
	return ka.run(ctx)
}

// config is the command line.
type config struct {
	DataDir     string
	DataGiven   bool // --data was on the command line (demo mode otherwise uses DataDir/demo)
	Demo        bool
	Camera      int
	CameraGiven bool // --camera was on the command line (otherwise the Settings choice wins)
	Video       string
	Lang        string
	Customer    bool
	Staff       string    // sign in as this staff ID (screenshots) ...
	PIN         io.Reader // ... with the PIN read from here
	Screen      string    // ... and open this screen
	CardReader  string    // the identity-card reader's serial device ("" : none; demo mode simulates one)
	CardDecoder string    // the reader vendor's WLT photo decoder, an absolute path ("" : none)
}

// kioskApp is the wired kiosk: database, camera, check service, sync
// worker and the window. newApp builds it; run drives it until the window
// closes; everything it opened is closed by then.
type kioskApp struct {
	cfg      config
	db       *store.DB
	src      camera.Source // nil without a camera
	checker  *live.Checker
	shell    *ui.Shell
	kiosk    *ui.Kiosk
	customer *ui.CustomerView
	worker   *terminal.Worker // nil when not enrolled, or in demo mode
	clip     *clipRender      // the demo clip rendering on a first start (src is nil until it is done)
	cards    idcard.Opener    // the identity-card reader (nil: none)
}

// newApp opens the data directory and the camera and builds the screens.
func newApp(ctx context.Context, a fyne.App, cfg config) (_ *kioskApp, err error) {
	if cfg.Demo && !cfg.DataGiven {
		// Demo data (a known demo PIN, invented people) never shares a
		// database with real work.
		cfg.DataDir = filepath.Join(cfg.DataDir, "demo")
	}
	if err := ui.UseLanguage(cfg.Lang); err != nil {
		return nil, err
	}
	// A real data directory certifies only from a camera: a video file
	// stands in for one only in demo mode, on demo data.
	if cfg.Video != "" && !cfg.Demo {
		return nil, certkiosk.Errorf(certkiosk.EINVALID, "视频文件只能在演示模式下代替摄像头",
			"--video %s needs --demo", cfg.Video)
	}
	db, err := store.Open(ctx, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	ka := &kioskApp{cfg: cfg, db: db}
	defer func() {
		if err != nil {
			ka.Close()
		}
	}()
	if cfg.Demo {
		if err := store.SeedDemo(ctx, db); err != nil { // refuses a directory with real data
			return nil, err
		}
	}
	if _, err := db.PurgeEvidence(ctx, "certkiosk"); err != nil {
		log.Printf("evidence retention: %v", err) // retried at the next start
	}
	if _, err := db.PurgeReferencePhotos(ctx, "certkiosk"); err != nil {
		log.Printf("reference photo retention: %v", err) // retried at the next start
	}
	n, err := db.CountRetirees(ctx)
	if err != nil {
		return nil, fmt.Errorf("count the roster: %w", err)
	}
	device := cfg.Camera
	if !cfg.CameraGiven { // the supervisor's choice in Settings
		device, _ = db.IntSetting(ctx, store.SetCameraIndex, device)
	}
	var demoClip func() (string, error)
	clipDir := filepath.Join(cfg.DataDir, "demo")
	if cfg.Demo {
		demoClip = func() (string, error) { return demoClipNow(clipDir) }
	}
	src, info, err := camera.Choose(device, cfg.Video, demoClip)
	if errors.Is(err, errClipPending) { // a first start: render it while the window opens
		ka.clip = renderDemoClip(clipDir)
		info, err = camera.Choice{Name: filepath.Join(clipDir, fixture.DemoClipName), Demo: true}, nil
	}
	if err != nil {
		log.Printf("camera: %v", err) // the device screen says so in Chinese
	}
	ka.src = src
	counts, err := db.SyncCounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("count the outbox: %w", err)
	}
	client, notEnrolled := terminal.ClientFor(ctx, db)
	// Reading digits hears the microphone only with a real camera (a
	// video file's or the demo clip's face is not the person at the
	// counter). Each check opens it anew, so one plugged in later counts;
	// the device screen says when none was found at start.
	var mic func() (audio.Source, error)
	noMic := false
	if src != nil && frameSource(cfg.Video, info) == certkiosk.FrameCamera {
		mic = audio.Open
		if m, err := audio.Open(); err != nil {
			log.Printf("microphone: %v (reading digits checks the lips only)", err)
			noMic = true
		} else if err := m.Close(); err != nil {
			log.Printf("microphone: %v", err)
		}
	}
	ka.shell = ui.NewShell(ui.ShellInfo{Demo: cfg.Demo, Version: certkiosk.Version, DataDir: cfg.DataDir, NoMicrophone: noMic,
		RosterCount: n, Camera: info.Name, CameraDemo: info.Demo, Enrolled: notEnrolled == nil, Pending: counts.Pending})
	muted, _ := db.IntSetting(ctx, store.SetSoundMuted, 0)
	speaker := openSpeaker(ui.NewSpeaker, muted == 1)
	ka.checker = &live.Checker{Microphone: mic, Settings: check.Settings{
		Blinks: func() int { n, _ := db.IntSetting(ctx, store.SetBlinks, store.DefaultBlinks); return n },
		TimeLimit: func() time.Duration {
			n, _ := db.IntSetting(ctx, store.SetTimeoutSecs, store.DefaultTimeout)
			return time.Duration(n) * time.Second
		},
	}}
	opt := ui.Options{Demo: cfg.Demo, Version: certkiosk.Version, Device: func() fyne.CanvasObject { return ka.shell.Content },
		Preview: ka.shell.Preview, Speaker: speaker, ReceiptDir: filepath.Join(cfg.DataDir, "receipts"), Print: printPDF,
		FrameSource: frameSource(cfg.Video, info), OnSignIn: preloadModel,
		// A check and its receipt leave ~20 MB of garbage (the receipt's
		// PDF alone parses its 4 MB font into 15 MB); between retirees
		// it goes back to the system at once rather than when the
		// runtime's scavenger gets to it, so it does not add to the
		// next check's memory (issue 26). So do the free pages glibc
		// keeps for C (OpenCV, dlib, Mesa): 1–6 MB between checks.
		OnVisitEnd: func() {
			go func() {
				debug.FreeOSMemory()
				memtune.Trim()
			}()
		},
		Enroll: func(ctx context.Context, actor, url, token, pin string) (ksync.EnrollResponse, error) {
			return terminal.Enroll(ctx, db, actor, url, token, false, pin)
		}}
	if src != nil {
		opt.Checker = ka.checker
	} else if ka.clip != nil {
		opt.Checker = clipStation{ka.checker, ka.clip}
	}
	cards, demo, err := cardReader(ctx, cfg, db)
	if err != nil {
		return nil, err
	}
	ka.cards = cards
	if demo != nil {
		opt.DemoCards = demo
	}
	if cfg.Customer {
		ka.customer = ui.NewCustomerView(a)
		opt.Customer = ka.customer
	}
	if notEnrolled == nil && !cfg.Demo { // demo data is never reported
		ka.worker = &terminal.Worker{DB: db, Client: client}
		opt.Sync = &syncControl{w: ka.worker, db: db}
	}
	ka.kiosk = ui.NewKiosk(a, db, opt)
	if ka.worker != nil {
		ka.worker.OnProgress = ka.syncProgress
	}
	if cfg.Staff != "" {
		if err := signIn(ka.kiosk, cfg.Staff, cfg.PIN, cfg.Screen); err != nil {
			return nil, err
		}
	}
	return ka, nil
}

// preloadModel starts loading the landmark model (≈ 100 MB, ≈ 0.4 s) in the
// background when staff sign in, so the sign-in screen stays small and the
// model is ready by the time a retiree is found (issue 16). Later calls
// find it loaded.
func preloadModel() {
	go func() {
		if _, err := face.LoadLandmarker(""); err != nil {
			log.Printf("liveness: %v", err) // a check then says so when it starts
		}
	}()
}

// syncProgress shows the worker's progress on the sync screen.
// cameraError shows a lost camera on the shell in plain words (nil: it is
// back).
func (ka *kioskApp) cameraError(err error) {
	if err == nil {
		ka.shell.SetCameraError("")
		return
	}
	ka.shell.SetCameraError(ui.ErrorText(err))
}

func (ka *kioskApp) syncProgress(p terminal.Progress) {
	sp := ui.SyncProgress{Sent: p.Sent, Total: p.Total, Pending: p.Pending}
	if p.Err != nil {
		log.Printf("sync: %v", p.Err)
		sp.Failure = ui.ErrorText(p.Err)
	}
	if p.Done {
		sp.Done = time.Now()
	}
	ka.kiosk.SetSyncProgress(sp)
}

// start runs the background work — capture loop and sync worker — until
// ctx ends; wait returns once all of it has stopped.
func (ka *kioskApp) start(ctx context.Context) (wait func() error) {
	g, ctx := errgroup.WithContext(ctx)
	if ka.cards != nil {
		dec := idcard.DecoderConfig{Path: ka.cfg.CardDecoder}
		if dec.Path != "" {
			dec.Args = []string{"{in}", "{out}"}
		}
		ka.kiosk.WatchCards(idcard.Watch(ctx, ka.cards, idcard.WatchOptions{Decoder: dec}))
		g.Go(func() error { ka.kiosk.WaitCards(); return nil })
	}
	if ka.worker != nil {
		g.Go(func() error { ka.worker.Run(ctx); return nil })
	}
	if ka.src != nil || ka.clip != nil {
		var mirror live.Sink
		if ka.customer != nil {
			mirror = ka.customer.Preview
		}
		g.Go(func() error {
			if ka.src == nil { // Close, after this ends, closes what it opens
				src, err := ka.clip.open(ctx, ka.shell)
				if src == nil {
					if err != nil {
						log.Printf("camera: %v", err)
						ka.checker.Fail(err) // a check started meanwhile
					}
					return nil
				}
				ka.src = src
			}
			if err := live.Feed(ctx, ka.src, ka.shell.Preview, ka.checker, ka.cameraError, mirror); err != nil {
				log.Printf("camera: %v", err) // the device screen shows it; the kiosk goes on without
			}
			return nil
		})
	}
	return g.Wait
}

// startupTrim is when, after start, the kiosk returns its start-up
// garbage to the system.
const startupTrim = 3 * time.Second

// run shows the window until it is closed, then stops the background
// work before anything it uses is closed.
func (ka *kioskApp) run(ctx context.Context) error {
	stopped := make(chan struct{})
	defer close(stopped)
	go watchShutdown(ctx, stopped, shutdownGrace, os.Stderr, os.Exit)
	work, cancel := context.WithCancel(ctx)
	wait := ka.start(work)
	closed := make(chan struct{})
	go func() { // SIGTERM or Ctrl-C: close the window as staff would
		select {
		case <-ctx.Done():
			fyne.Do(ka.kiosk.App.Quit)
		case <-closed:
		}
	}()
	if ka.customer != nil {
		ka.customer.Window.Show()
		ka.customer.Window.SetFullScreen(true)
	}
	// Start-up leaves garbage (fonts parsed, screens laid out, the
	// database opened); hand it back once the window stands (issue 16).
	trim := time.AfterFunc(startupTrim, debug.FreeOSMemory)
	defer trim.Stop()
	ka.kiosk.Window.ShowAndRun()
	close(closed)
	cancel()
	return errors.Join(wait(), ka.Close())
}

// Close releases the camera and the database (after start's work ended).
func (ka *kioskApp) Close() error {
	var errs []error
	if ka.src != nil {
		errs = append(errs, ka.src.Close())
		ka.src = nil
	}
	if ka.db != nil {
		errs = append(errs, ka.db.Close())
		ka.db = nil
	}
	return errors.Join(errs...)
}

// syncControl lets the sync screen drive the worker and export bundles.
type syncControl struct {
	w  *terminal.Worker
	db *store.DB
}

func (s *syncControl) SyncNow() { s.w.SyncNow() }

func (s *syncControl) Export(ctx context.Context, path string) (int, error) {
	return terminal.ExportBundle(ctx, s.db, "certkiosk", path)
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
