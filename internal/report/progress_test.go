package report

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestProgressLine(t *testing.T) {
	p := &Progress{label: "scanning", total: 1000}
	got := p.Line(250, 5*time.Second)
	for _, want := range []string{"scanning", "25%", "250/1000", "50/s", "ETA 15s"} {
		if !strings.Contains(got, want) {
			t.Errorf("line %q lacks %q", got, want)
		}
	}
	p.total = 0
	if got := p.Line(3000, 2*time.Second); !strings.Contains(got, "1.5k/s") ||
		strings.Contains(got, "ETA") {
		t.Errorf("unknown total: %q", got)
	}
}

func TestProgressSilentWhenNotTerminal(t *testing.T) {
	var buf bytes.Buffer
	p := StartProgress(&buf, "x", 10, func() int64 { return 5 })
	time.Sleep(2 * progressTick)
	p.Stop()
	if buf.Len() != 0 {
		t.Errorf("wrote %q to a non-terminal", buf.String())
	}
}
