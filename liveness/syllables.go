package liveness

import "certkiosk/liveness/voice"

// CountSyllables counts the syllable nuclei in a whole recording (16 kHz
// mono) as the read-digits check hears them: the noise floor from the
// recording's quietest hops (there is no lead-in), the loudness envelope
// above it and the nuclei picked on it with opt.Nuclei. It measures the
// counter on real speech (issue 22; `kioskctl validate --real`).
func CountSyllables(pcm []int16, opt VoiceOptions) int {
	an := voice.NewAnalyzer(0)
	an.Write(pcm)
	if an.Hops() == 0 {
		return 0
	}
	n := an.EstimateNoise(0, 0, nil)
	env := an.Envelope(n)
	return len(voice.Nuclei(env, 0, len(env), opt.Nuclei))
}
