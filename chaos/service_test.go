package chaos

import "testing"

// A Digest reads the index back from its own snapshot, as an engine restarting a peer it
// cannot see into needs.
func TestDigestSnapshotIndex(t *testing.T) {
	d := NewDigest(3)
	var snap []byte
	for i := 1; snap == nil; i++ {
		snap = d.Apply(i, i*10)
	}
	if i, err := NewDigest(0).SnapshotIndex(snap); i != 3 || err != nil {
		t.Errorf("SnapshotIndex = %d, %v; want 3, nil", i, err)
	}
	if _, err := NewDigest(0).SnapshotIndex(nil); err == nil {
		t.Error("SnapshotIndex(nil): no error")
	}
}
