//go:build !(cgo && linux)

package audio

// Open reports ErrNoMicrophone: this build has no ALSA (cgo off).
func Open() (Source, error) { return nil, ErrNoMicrophone }
