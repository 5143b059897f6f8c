package chaos

import "testing"

// FaultSpecs has one entry per kind, in order, each with its help; and every kind's
// name reads back as the kind.
func TestFaultSpecs(t *testing.T) {
	for i, s := range FaultSpecs {
		if s.Kind != FaultKind(i+1) || s.Name == "" || s.Summary == "" || len(s.Usage) < len(s.Name) || s.Usage[:len(s.Name)] != s.Name {
			t.Errorf("entry %d: %+v", i, s)
		}
		if k, ok := FaultByName(s.Name); !ok || k != s.Kind || k.String() != s.Name {
			t.Errorf("%q reads back as %v, %v", s.Name, k, ok)
		}
	}
	if _, ok := FaultKind(len(FaultSpecs) + 1).Spec(); ok {
		t.Error("a kind past the table has a spec")
	}
}
