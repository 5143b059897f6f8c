package tui

import (
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/uniseg"
)

// span is a run of text in one style.
type span struct {
	text  string
	style tcell.Style
}

// line is one row of styled text. The render functions return lines; drawing them on a
// screen is the only thing the widgets do.
type line []span

// String returns the line's text without styles.
func (l line) String() string {
	var b strings.Builder
	for _, s := range l {
		b.WriteString(s.text)
	}
	return b.String()
}

// width returns how many cells the line takes.
func (l line) width() int {
	w := 0
	for _, s := range l {
		w += textWidth(s.text)
	}
	return w
}

// textWidth returns how many cells s takes on a terminal.
func textWidth(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return uniseg.StringWidth(s)
		}
	}
	return len(s)
}

// add appends text in style.
func (l *line) add(text string, style tcell.Style) {
	if text != "" {
		*l = append(*l, span{text, style})
	}
}

// pad appends spaces in style until the line is w cells wide.
func (l *line) pad(w int, style tcell.Style) {
	if n := w - l.width(); n > 0 {
		l.add(strings.Repeat(" ", n), style)
	}
}

// styleAt returns the style of the cell at column x, and false past the end.
func (l line) styleAt(x int) (tcell.Style, bool) {
	for _, s := range l {
		w := textWidth(s.text)
		if x < w {
			return s.style, true
		}
		x -= w
	}
	return tcell.StyleDefault, false
}

// fit cuts s to at most w cells, marking a cut with an ellipsis.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if textWidth(s) <= w {
		return s
	}
	out := make([]rune, 0, w)
	for _, r := range s {
		if len(out) >= w-1 {
			break
		}
		out = append(out, r)
	}
	return string(out) + "…"
}

// drawLine draws l at (x, y), at most w cells wide; the rest of the width is filled
// with fill (when fill is not nil).
func drawLine(screen tcell.Screen, x, y, w int, l line, fill *tcell.Style) {
	col := 0
	for _, s := range l {
		for _, r := range s.text {
			rw := 1
			if r >= 0x80 {
				rw = uniseg.StringWidth(string(r))
				if rw == 0 {
					continue
				}
			}
			if col+rw > w {
				return
			}
			screen.SetContent(x+col, y, r, nil, s.style)
			col += rw
		}
	}
	if fill != nil {
		for ; col < w; col++ {
			screen.SetContent(x+col, y, ' ', nil, *fill)
		}
	}
}

// drawLines draws ls from the top of the rectangle, one per row, filling the rest of
// every row with the default style.
func drawLines(screen tcell.Screen, x, y, w, h int, ls []line) {
	fill := tcell.StyleDefault
	for i := 0; i < h; i++ {
		var l line
		if i < len(ls) {
			l = ls[i]
		}
		drawLine(screen, x, y+i, w, l, &fill)
	}
}
