// Command perffloor measures the memory floor of the kiosk's stack for
// scripts/perf.sh (issue 16): the least any kiosk built on it can hold. It
// opens a Fyne window the kiosk's size with the kiosk's theme (its Chinese
// font) and one line of Chinese text, and shows a gocv capture of a clip
// in it at the clip's rate — a webcam preview and nothing else: no check,
// no landmark model, no database (with -preview=false it captures without
// showing, as the kiosk does behind its sign-in screen). After -settle it prints its resident
// memory as "floor: rss_mb=… anon_mb=… file_mb=…" and quits.
//
//	perffloor -clip demo-clip.avi [-settle 5s]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"image"
	"log"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"certkiosk/internal/memtune"
	"certkiosk/ui"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	"gocv.io/x/gocv"
)

func main() {
	clip := flag.String("clip", "", "video file to show, as a webcam would be (required)")
	settle := flag.Duration("settle", 5*time.Second, "how long the preview runs before memory is read")
	show := flag.Bool("preview", true, "show the frames (false: capture only, as behind the sign-in screen)")
	flag.Parse()
	// The kiosk's own memory settings (cmd/certkiosk: main.go, app.go),
	// so that the floor is what a kiosk tuned as it is holds.
	if err := memtune.Tune(); err != nil {
		log.Fatal(err)
	}
	memtune.SetGo()
	if *clip == "" {
		log.Fatal("perffloor: -clip is required")
	}
	vc, err := gocv.OpenVideoCapture(*clip)
	if err != nil {
		log.Fatalf("perffloor: open %s: %v", *clip, err)
	}
	defer vc.Close()

	a := app.NewWithID("cn.certkiosk.perffloor")
	a.Settings().SetTheme(ui.Theme{})
	w := a.NewWindow("perffloor")
	preview := canvas.NewImageFromImage(image.NewRGBA(image.Rect(0, 0, 4, 3)))
	preview.FillMode = canvas.ImageFillContain
	preview.ScaleMode = canvas.ImageScaleFastest
	w.SetContent(container.NewBorder(widget.NewLabel("养老金领取资格认证"), nil, nil, nil, preview))
	w.Resize(fyne.NewSize(1280, 800))
	w.SetFullScreen(true)

	go func() {
		frame, rgba := gocv.NewMat(), gocv.NewMat()
		defer frame.Close()
		defer rgba.Close()
		bufs := [2]*image.RGBA{}
		tick := time.NewTicker(time.Second / 30)
		defer tick.Stop()
		end := time.Now().Add(*settle)
		for n := 0; time.Now().Before(end); n++ {
			<-tick.C
			if !vc.Read(&frame) || frame.Empty() {
				vc.Set(gocv.VideoCapturePosFrames, 0) // loop the clip
				continue
			}
			gocv.CvtColor(frame, &rgba, gocv.ColorBGRToRGBA)
			b := bufs[n%2]
			if b == nil || b.Rect.Dx() != rgba.Cols() || b.Rect.Dy() != rgba.Rows() {
				b = image.NewRGBA(image.Rect(0, 0, rgba.Cols(), rgba.Rows()))
				bufs[n%2] = b
			}
			px, err := rgba.DataPtrUint8()
			if err != nil {
				log.Fatalf("perffloor: %v", err)
			}
			copy(b.Pix, px)
			if !*show {
				continue
			}
			fyne.Do(func() {
				preview.Image = b
				preview.Refresh()
			})
		}
		debug.FreeOSMemory() // as the kiosk does once its window stands
		time.Sleep(time.Second)
		fmt.Println("floor:", memory())
		fyne.Do(a.Quit)
	}()
	w.ShowAndRun()
}

// memory is the process's resident memory from /proc/self/status.
func memory() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "error=" + strconv.Quote(err.Error())
	}
	defer f.Close()
	want := map[string]string{"VmRSS": "rss_mb", "RssAnon": "anon_mb", "RssFile": "file_mb"}
	var out []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, _ := strings.Cut(s.Text(), ":")
		if name, ok := want[k]; ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			out = append(out, fmt.Sprintf("%s=%.1f", name, kb/1024))
		}
	}
	return strings.Join(out, " ")
}
