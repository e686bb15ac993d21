package uring

import "testing"

func TestParseEngine(t *testing.T) {
	for _, e := range []Engine{EngineAuto, EngineSync, EngineUring} {
		if got, err := ParseEngine(e.String()); err != nil || got != e {
			t.Errorf("ParseEngine(%q) = %v, %v", e.String(), got, err)
		}
	}
	if _, err := ParseEngine("fast"); err == nil {
		t.Error("ParseEngine accepted fast")
	}
}
