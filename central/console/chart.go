package console

import (
	"fmt"
	"html"
	"strings"

	"certkiosk/central"
)

// Chart colours, each with at least 4.5:1 contrast on white; the legend
// and the table under the chart carry the same numbers in words.
const (
	colourPass   = "#1a6b35"
	colourFail   = "#b3261e"
	colourManual = "#7a4f00"
)

// barChart draws certifications per day as stacked bars (pass, fail,
// manual review) in SVG, on the server: no script, readable by a screen
// reader through its title and the table that follows it.
func barChart(days []central.DayCount) string {
	const (
		width, height = 960, 320
		left, bottom  = 56, 48
		top           = 32
	)
	peak := 1
	for _, d := range days {
		peak = max(peak, d.Pass+d.Fail+d.Manual)
	}
	// A round scale step, 1, 2 or 5 × 10^n, for at most five grid lines.
	step := 1
	for mult := 1; step*5 < peak; mult *= 10 {
		for _, k := range []int{1, 2, 5} {
			if step = k * mult; step*5 >= peak {
				break
			}
		}
	}
	scaleTop := (peak + step - 1) / step * step
	plotH := float64(height - top - bottom)
	y := func(v int) float64 { return float64(top) + plotH - plotH*float64(v)/float64(scaleTop) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">`, width, height)
	b.WriteString(`<title id="chart-title">最近每天的认证数量（通过、未通过、转人工复核）</title>`)
	for v := 0; v <= scaleTop; v += step {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#c8c8c8"/>`, left, width-8, y(v), y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" font-size="16" fill="#222">%d</text>`, left-8, y(v)+5, v)
	}
	slot := float64(width-left-8) / float64(max(len(days), 1))
	bar := slot * 0.6
	for i, d := range days {
		x := float64(left) + slot*float64(i) + (slot-bar)/2
		base := 0
		for _, part := range []struct {
			n      int
			colour string
			name   string
		}{{d.Pass, colourPass, "通过"}, {d.Fail, colourFail, "未通过"}, {d.Manual, colourManual, "转人工"}} {
			if part.n == 0 {
				continue
			}
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s %d</title></rect>`,
				x, y(base+part.n), bar, y(base)-y(base+part.n), part.colour, d.Day, part.name, part.n)
			base += part.n
		}
		if base > 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="15" fill="#222">%d</text>`, x+bar/2, y(base)-4, base)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" font-size="15" fill="#222">%s</text>`,
			x+bar/2, height-bottom+22, html.EscapeString(fmt.Sprintf("%d/%d", d.Day.Month, d.Day.Day)))
	}
	b.WriteString(`</svg>`)
	return b.String()
}
