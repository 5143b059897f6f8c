//go:build race

package foreign

// raceEnabled is whether the tests run under the race detector; the fixture's course
// tests then run under it too.
const raceEnabled = true
