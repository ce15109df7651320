package volscan

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestEstimateTouchesNothing runs an estimate and expects every entry of the volume to be
// exactly as before (the temporary sample directory removed), with a sampled prediction.
func TestEstimateTouchesNothing(t *testing.T) {
	dir := t.TempDir()
	randomTreeNoRoot(t, dir)
	before := ctimesAll(t, dir)
	est, err := EstimateWalk(context.Background(), dir, EstimateOptions{Samples: 50,
		RestartsPerMonth: 10, Options: Options{FSGroup: int64(os.Getgid())}})
	if err != nil {
		t.Fatal(err)
	}
	if !est.Sampled || est.KubeletPerEntry <= 0 || est.Always <= 0 {
		t.Errorf("estimate not sampled: %+v", est)
	}
	if est.Entries != int64(len(before)) {
		t.Errorf("entries %d, want %d", est.Entries, len(before))
	}
	if want := est.Always.Hours() * 10 * 12; est.HoursPerYear != want {
		t.Errorf("hours per year %v, want %v", est.HoursPerYear, want)
	}
	after := ctimesAll(t, dir)
	for p, c := range before {
		if p != "." && after[p] != c {
			t.Errorf("%s changed: %s -> %s", p, c, after[p])
		}
	}
	for p := range after {
		if strings.Contains(p, ".startlag-estimate") {
			t.Errorf("sample left behind: %s", p)
		}
	}
}

// randomTreeNoRoot builds a small tree any user can build.
func randomTreeNoRoot(t *testing.T, dir string) {
	t.Helper()
	for _, d := range []string{"a", "a/b", "c"} {
		if err := os.Mkdir(dir+"/"+d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"a/1", "a/b/2", "c/3", "4"} {
		if err := os.WriteFile(dir+"/"+f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func ctimesAll(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	for _, line := range ctimes(t, dir) {
		p, c, _ := strings.Cut(line, " ")
		out[p] = c
	}
	return out
}
