package cluster

import "testing"

// TestUnescapeMount decodes the octal escapes the kernel uses in /proc/self/mountinfo.
func TestUnescapeMount(t *testing.T) {
	for in, want := range map[string]string{
		`/tmp/a\040b`:   "/tmp/a b",
		`/tmp/tab\011x`: "/tmp/tab\tx",
		`/plain`:        "/plain",
		`/trail\04`:     `/trail\04`,
		`/bad\09x`:      `/bad\09x`,
	} {
		if got := unescapeMount(in); got != want {
			t.Errorf("unescapeMount(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzUnescapeMount checks that decoding never panics and never grows the text.
func FuzzUnescapeMount(f *testing.F) {
	f.Add(`/a\040b\134c`)
	f.Add(`\`)
	f.Fuzz(func(t *testing.T, s string) {
		if got := unescapeMount(s); len(got) > len(s) {
			t.Fatalf("unescapeMount(%q) = %q grew", s, got)
		}
	})
}
