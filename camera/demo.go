package camera

import (
	"fmt"
	"os"
	"path/filepath"

	"certkiosk/assets"
)

// DemoClipName is the demo clip's file name inside the data directory.
const DemoClipName = "demo-clip.avi"

// EnsureDemoClip renders the demo camera clip (the public-domain portrait,
// drifting) into dir unless it is already there, and returns its path. It
// writes to a temporary name first so a crash never leaves half a clip.
func EnsureDemoClip(dir string) (string, error) {
	path := filepath.Join(dir, DemoClipName)
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("demo clip: %w", err)
	}
	p, err := DecodePortrait(assets.Portrait)
	if err != nil {
		return "", fmt.Errorf("demo clip: %w", err)
	}
	defer p.Close()
	tmp := filepath.Join(dir, ".tmp-"+DemoClipName)
	if err := RenderDrift(p, tmp, DriftOptions{Seconds: 12, Seed: 1}); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("demo clip: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("demo clip: %w", err)
	}
	return path, nil
}

// Choice says which source Choose picked.
type Choice struct {
	Name string // device or file path, "" for none
	Demo bool   // the demo clip stands in for a webcam
}

// Choose picks the kiosk's frame source: a video file when one is given,
// else webcam /dev/video<device> (device ≥ 0), else — in demo mode — the
// demo clip, rendered into dataDir on first use. With no source it returns
// a nil Source and the reason.
func Choose(device int, video string, demo bool, dataDir string) (Source, Choice, error) {
	if video != "" {
		f, err := OpenFile(video, true)
		if err != nil {
			return nil, Choice{}, err
		}
		return f, Choice{Name: video}, nil
	}
	var devErr error
	if device >= 0 {
		d, err := OpenDevice(device)
		if err == nil {
			return d, Choice{Name: d.Info().Name}, nil
		}
		devErr = err
	}
	if !demo {
		return nil, Choice{}, devErr
	}
	path, err := EnsureDemoClip(filepath.Join(dataDir, "demo"))
	if err != nil {
		return nil, Choice{}, err
	}
	f, err := OpenFile(path, true)
	if err != nil {
		return nil, Choice{}, err
	}
	return f, Choice{Name: path, Demo: true}, nil
}
