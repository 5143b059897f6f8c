package labrpc

import (
	"errors"
	"fmt"
	"reflect"
	"time"
)

// Default range of the extra hold given to a reordered message when a Faults value leaves
// both ReorderMin and ReorderMax zero.
const (
	DefaultReorderMin = 25 * time.Millisecond
	DefaultReorderMax = 250 * time.Millisecond
)

// ErrInvalidFaults is wrapped by the errors of SetFaults and SetLinkFaults for values out
// of range.
var ErrInvalidFaults = errors.New("invalid faults")

// Faults describes the faults applied to messages, either to every message of a network
// (Network.SetFaults) or to the messages on one directed link between two servers
// (Network.SetLinkFaults). The zero value means no fault. A Faults is a plain value: the
// network keeps its own copy, so changing a Faults after passing it has no effect, and
// copies may be used from any goroutine.
//
// Every message that a fault source applies to is treated independently of the others:
//
//   - Loss is the probability that the message is lost. A lost request fails the call
//     (after the message's delay) without running the handler; a lost reply fails the call
//     after the handler ran.
//   - DelayMin and DelayMax bound a uniformly random delay added to the message.
//   - Reorder is the probability that the message is held back an extra uniformly random
//     time in [ReorderMin, ReorderMax], so that messages sent after it can overtake it. If
//     both bounds are zero, [DefaultReorderMin, DefaultReorderMax] is used.
//   - Duplicate is the probability that a request is delivered twice: the handler runs
//     twice, concurrently, on two copies of the args, and the caller gets the reply of
//     the first copy only. Duplicate has no effect on replies.
//   - ReplyLoss, ReplyDelayMin, ReplyDelayMax and ReplyReorder apply to replies only,
//     on top of the fields above (a reply is lost if either loss says so, delayed by
//     both delays, held back by either reordering): a link's requests can go fast while
//     its replies come late, or not at all.
//   - ReplyDuplicate is the probability that a reply arrives twice. A call returns once:
//     the caller takes the first copy and the second is dropped on arrival, as an RPC
//     layer drops a reply to a call that has returned (the observer sees an
//     EventDuplicated with Reply set, and the copy's bytes are counted).
//   - Cut loses every message: a cut request fails the call after the same short wait as a
//     call on a disabled end (0-100 ms, or 0-7 s with LongDelays); a cut reply fails the
//     call as soon as the handler has returned.
type Faults struct {
	Loss       float64       // probability a message is lost, in [0, 1]
	DelayMin   time.Duration // least extra delay of a message
	DelayMax   time.Duration // most extra delay of a message; 0 means no delay
	Reorder    float64       // probability a message is held back, in [0, 1]
	ReorderMin time.Duration // least hold of a reordered message
	ReorderMax time.Duration // most hold of a reordered message
	Duplicate  float64       // probability a request is delivered twice, in [0, 1]
	Cut        bool          // lose every message

	ReplyLoss      float64       // probability a reply is lost, in [0, 1]
	ReplyDelayMin  time.Duration // least extra delay of a reply
	ReplyDelayMax  time.Duration // most extra delay of a reply; 0 means none
	ReplyReorder   float64       // probability a reply is held back, in [0, 1]
	ReplyDuplicate float64       // probability a reply arrives twice, in [0, 1]
}

// Validate reports whether f is usable: probabilities in [0, 1], durations not negative,
// and each minimum not above its maximum. The error wraps ErrInvalidFaults.
func (f Faults) Validate() error {
	for _, p := range []struct {
		name string
		v    float64
	}{{"loss", f.Loss}, {"reorder", f.Reorder}, {"duplicate", f.Duplicate},
		{"reply loss", f.ReplyLoss}, {"reply reorder", f.ReplyReorder}, {"reply duplicate", f.ReplyDuplicate}} {
		if !(p.v >= 0 && p.v <= 1) { // also rejects NaN
			return fmt.Errorf("%w: %s probability %v is not in [0, 1]", ErrInvalidFaults, p.name, p.v)
		}
	}
	for _, r := range []struct {
		name     string
		min, max time.Duration
	}{{"delay", f.DelayMin, f.DelayMax}, {"reorder", f.ReorderMin, f.ReorderMax}, {"reply delay", f.ReplyDelayMin, f.ReplyDelayMax}} {
		if r.min < 0 || r.max < 0 {
			return fmt.Errorf("%w: negative %s duration (min %v, max %v)", ErrInvalidFaults, r.name, r.min, r.max)
		}
		if r.min > r.max {
			return fmt.Errorf("%w: %s min %v is above max %v", ErrInvalidFaults, r.name, r.min, r.max)
		}
	}
	return nil
}

// IsZero reports whether f has no fault at all.
func (f Faults) IsZero() bool { return f == Faults{} }

// String describes f compactly, for logs and user interfaces.
func (f Faults) String() string {
	if f.IsZero() {
		return "none"
	}
	s := ""
	add := func(part string) {
		if s != "" {
			s += " "
		}
		s += part
	}
	if f.Cut {
		add("cut")
	}
	if f.Loss > 0 {
		add(fmt.Sprintf("loss=%g", f.Loss))
	}
	if f.DelayMax > 0 {
		add(fmt.Sprintf("delay=%v-%v", f.DelayMin, f.DelayMax))
	}
	if f.Reorder > 0 {
		lo, hi := f.reorderRange()
		add(fmt.Sprintf("reorder=%g(%v-%v)", f.Reorder, lo, hi))
	}
	if f.Duplicate > 0 {
		add(fmt.Sprintf("duplicate=%g", f.Duplicate))
	}
	if f.ReplyLoss > 0 {
		add(fmt.Sprintf("reply-loss=%g", f.ReplyLoss))
	}
	if f.ReplyDelayMax > 0 {
		add(fmt.Sprintf("reply-delay=%v-%v", f.ReplyDelayMin, f.ReplyDelayMax))
	}
	if f.ReplyReorder > 0 {
		add(fmt.Sprintf("reply-reorder=%g", f.ReplyReorder))
	}
	if f.ReplyDuplicate > 0 {
		add(fmt.Sprintf("reply-duplicate=%g", f.ReplyDuplicate))
	}
	if s == "" {
		s = "none"
	}
	return s
}

func (f *Faults) reorderRange() (time.Duration, time.Duration) {
	if f.ReorderMin == 0 && f.ReorderMax == 0 {
		return DefaultReorderMin, DefaultReorderMax
	}
	return f.ReorderMin, f.ReorderMax
}

// link is a directed link between two servers, by name.
type link struct{ from, to interface{} }

func checkName(what string, name interface{}) error {
	if name == nil {
		return fmt.Errorf("%w: %s server name is nil", ErrInvalidFaults, what)
	}
	if !reflect.TypeOf(name).Comparable() {
		return fmt.Errorf("%w: %s server name of type %T cannot be a map key", ErrInvalidFaults, what, name)
	}
	return nil
}

// SetFaults sets the faults applied to every message on the network, in addition to any
// link faults and to Reliable(false). It returns an error, and changes nothing, if f is
// invalid.
func (rn *Network) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	rn.mu.Lock()
	rn.global = f
	rn.updateFaulty()
	rn.mu.Unlock()
	return nil
}

// GlobalFaults returns the faults set by SetFaults.
func (rn *Network) GlobalFaults() Faults {
	rn.mu.RLock()
	defer rn.mu.RUnlock()
	return rn.global
}

// SetLinkFaults sets the faults of the directed link from server from to server to: a
// request from an end owned by from (see SetEndOwner) to server to, and a reply from server
// from to an end owned by to. Setting the zero Faults clears the link. It returns an error,
// and changes nothing, if f is invalid or a name is nil or not comparable.
func (rn *Network) SetLinkFaults(from, to interface{}, f Faults) error {
	if err := checkName("from", from); err != nil {
		return err
	}
	if err := checkName("to", to); err != nil {
		return err
	}
	if err := f.Validate(); err != nil {
		return err
	}
	rn.mu.Lock()
	if f.IsZero() {
		delete(rn.links, link{from, to})
	} else {
		rn.links[link{from, to}] = f
	}
	rn.updateFaulty()
	rn.mu.Unlock()
	return nil
}

// LinkFaults returns the faults of the directed link from server from to server to (the
// zero Faults if none are set).
func (rn *Network) LinkFaults(from, to interface{}) Faults {
	if checkName("from", from) != nil || checkName("to", to) != nil {
		return Faults{}
	}
	rn.mu.RLock()
	defer rn.mu.RUnlock()
	return rn.links[link{from, to}]
}

// ClearLinkFaults removes the faults of the directed link from server from to server to.
func (rn *Network) ClearLinkFaults(from, to interface{}) {
	if checkName("from", from) != nil || checkName("to", to) != nil {
		return
	}
	rn.mu.Lock()
	delete(rn.links, link{from, to})
	rn.updateFaulty()
	rn.mu.Unlock()
}

// ClearFaults removes the global faults and the faults of every link. It does not change
// Reliable, LongDelays, LongReordering, enabled ends or the frozen state.
func (rn *Network) ClearFaults() {
	rn.mu.Lock()
	rn.global = Faults{}
	clear(rn.links)
	rn.updateFaulty()
	rn.mu.Unlock()
}

// updateFaulty must be called with rn.mu held for writing.
func (rn *Network) updateFaulty() {
	rn.faulty = !rn.global.IsZero() || len(rn.links) > 0
}

// route is the set of fault sources (at most the global faults and one link) that apply
// to one direction of one call.
type route struct {
	n  int
	fs [2]Faults
}

func (r *route) add(f Faults) {
	if !f.IsZero() {
		r.fs[r.n] = f
		r.n++
	}
}

func (r *route) cut() bool {
	for i := 0; i < r.n; i++ {
		if r.fs[i].Cut {
			return true
		}
	}
	return false
}

// draw makes this direction's random decisions, in a fixed order per source: loss, delay,
// reorder, and for requests duplicate; for replies then their own loss, delay, reorder
// and duplicate. It returns the total extra delay.
func (r *route) draw(g *source, request bool) (delay time.Duration, lost, dup bool) {
	for i := 0; i < r.n; i++ {
		f := &r.fs[i]
		if f.Loss > 0 && g.float() < f.Loss {
			lost = true
		}
		if f.DelayMax > 0 {
			delay += g.between(f.DelayMin, f.DelayMax)
		}
		if f.Reorder > 0 && g.float() < f.Reorder {
			lo, hi := f.reorderRange()
			delay += g.between(lo, hi)
		}
		if request {
			if f.Duplicate > 0 && g.float() < f.Duplicate {
				dup = true
			}
			continue
		}
		if f.ReplyLoss > 0 && g.float() < f.ReplyLoss {
			lost = true
		}
		if f.ReplyDelayMax > 0 {
			delay += g.between(f.ReplyDelayMin, f.ReplyDelayMax)
		}
		if f.ReplyReorder > 0 && g.float() < f.ReplyReorder {
			lo, hi := f.reorderRange()
			delay += g.between(lo, hi)
		}
		if f.ReplyDuplicate > 0 && g.float() < f.ReplyDuplicate {
			dup = true
		}
	}
	return delay, lost, dup
}
