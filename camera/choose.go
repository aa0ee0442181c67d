package camera

// Choice says which source Choose picked.
type Choice struct {
	Name string // device or file path, "" for none
	Demo bool   // the demo clip stands in for a webcam
}

// Choose picks the kiosk's frame source: a video file when one is given,
// else webcam /dev/video<device> (device ≥ 0), else — in demo mode — the
// demo clip that demoClip makes. With no source it returns a nil Source and
// the reason.
func Choose(device int, video string, demoClip func() (string, error)) (Source, Choice, error) {
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
	if demoClip == nil {
		return nil, Choice{}, devErr
	}
	path, err := demoClip()
	if err != nil {
		return nil, Choice{}, err
	}
	f, err := OpenFile(path, true)
	if err != nil {
		return nil, Choice{}, err
	}
	return f, Choice{Name: path, Demo: true}, nil
}
