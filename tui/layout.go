package tui

// rect is a rectangle of the screen.
type rect struct{ x, y, w, h int }

func (r rect) contains(x, y int) bool { return x >= r.x && x < r.x+r.w && y >= r.y && y < r.y+r.h }

// layout places the views on a screen. In the full layout the peers table and the logs
// are two views; when the screen is too short for both (many peers), the compact one
// shows each peer's main figures and its log on one row (peers; logs is empty).
type layout struct {
	tooSmall bool
	compact  bool
	header   rect
	peers    rect
	logs     rect
	events   rect
	net      rect
	clients  rect // the kv workload's clients; empty without one
	timeline rect
	bottom   rect // the hint line or the command bar
}

// Sizes.
const (
	// minWidth is the narrowest screen the views fit.
	minWidth = 60
	// minZone is the fewest rows the events and, beside them, the network and timeline
	// get: an events title and five events. The full layout wants fullZone rows, or
	// the compact one is used.
	minZone  = 6
	fullZone = 8
	// minEventsWidth is the narrowest the events get for the network's matrix to widen
	// the right column.
	minEventsWidth = 40
)

// minHeight returns the height needed for n peers: the header, a title and a row per
// peer, the zone and the bottom line.
func minHeight(n int) int { return 2 + n + 1 + minZone + 1 }

// fullHeight returns the height from which n peers get the full layout.
func fullHeight(n int) int { return 2 + 2*(n+1) + fullZone + 1 }

// matrixWidth returns how wide the network's matrix of n peers is: a label column, then
// a column per peer, wide enough for its id.
func matrixWidth(n int) int { return len(`from\to`) + n*netColumn(n) }

// netColumn returns the width of a column of the network's matrix of n peers.
func netColumn(n int) int {
	if n > 10 {
		return 3
	}
	return 2
}

// computeLayout places the views on a w x h screen for n peers: header, the peers and
// their logs at the top; the events beside the network, the kv clients (with kv) and the
// timeline below; the bottom line last.
func computeLayout(w, h, n int, kv bool) layout {
	if w < minWidth || h < minHeight(n) {
		return layout{tooSmall: true}
	}
	var l layout
	l.header = rect{0, 0, w, 2}
	top := 2
	if h >= fullHeight(n) {
		l.peers = rect{0, top, w, n + 1}
		l.logs = rect{0, top + n + 1, w, n + 1}
		top += 2 * (n + 1)
	} else {
		l.compact = true
		l.peers = rect{0, top, w, n + 1}
		top += n + 1
	}
	zone := h - 1 - top
	l.bottom = rect{0, h - 1, w, 1}

	// The right column: a third of the width, more on a wide screen, and the network's
	// matrix if that leaves the events room.
	rw := w / 3
	if w >= 100 {
		rw = min(w*2/5, 56)
	}
	if need := matrixWidth(n) + 1; need > rw && w-need-1 >= minEventsWidth {
		rw = need
	}
	l.events = rect{0, top, w - rw - 1, zone}
	x := w - rw

	// Its rows: the network's matrix (with room for a line about partitions and link
	// faults, and the legend below it when it is not beside it), the clients, and the
	// timeline, in that order of need; the network shrinks to a summary last.
	legendBelow := 0
	if rw-matrixWidth(n) < legendWidth+1 {
		legendBelow = 1
		if rw < legendLineWidth {
			legendBelow = 2
		}
	}
	kvH := 0
	if kv {
		kvH = clientsRows
	}
	// The timeline wants a title and two steps, and makes do with one.
	netH := n + 2 + 1 + legendBelow
	switch {
	case zone >= netH+kvH+3:
	case zone >= n+2+kvH+2:
		netH = min(netH, zone-kvH-2)
	case kv && zone >= n+2+clientsMinRows+2:
		netH, kvH = n+2, clientsMinRows
	default:
		netH = min(netSummaryRows, zone)
		if kv {
			kvH = min(kvH, max(clientsMinRows, zone-netH-3), max(0, zone-netH-2))
		}
	}
	tlH := max(0, zone-netH-kvH)
	l.net = rect{x, top, rw, netH}
	l.clients = rect{x, top + netH, rw, kvH}
	l.timeline = rect{x, top + netH + kvH, rw, tlH}
	return l
}
