package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/startlag/startlag/internal/volscan"
)

// TestScanJSONEscapesPaths checks a non-UTF-8 name survives JSON as an escaped, readable path.
func TestScanJSONEscapesPaths(t *testing.T) {
	in := "d 02770 0 3000 .\nf 0644 0 0 ./bad-\xff-name\n"
	res, _, err := volscan.ListingCheck(strings.NewReader(in), "l", volscan.Options{FSGroup: 3000})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	rep := &volscan.Report{Mode: "check", FSGroupSource: "flag", Listing: true, Check: res}
	if err := ScanJSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Verdict   string
		BySubtree []volscan.Group
		Walk      any
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Verdict != "unsafe" || len(doc.BySubtree) != 1 ||
		doc.BySubtree[0].Examples[0] != `./bad-\xff-name` || doc.Walk != nil {
		t.Errorf("document: %s", buf.String())
	}

	buf.Reset()
	if err := ScanText(&buf, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `./bad-\xff-name`) {
		t.Errorf("text output lacks the escaped path:\n%s", buf.String())
	}
}

// TestScanTextFitsTheWidth: a root failing every test gives the longest header value; every
// line of the text report stays within the 100 columns the other reports wrap at.
func TestScanTextFitsTheWidth(t *testing.T) {
	in := "d 0755 0 0 .\nf 0600 0 0 ./" + strings.Repeat("long-name-", 3) + "\n"
	res, _, err := volscan.ListingCheck(strings.NewReader(in), "l", volscan.Options{FSGroup: 3000})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	rep := &volscan.Report{Mode: "check", FSGroupSource: "root-gid", Listing: true, Check: res}
	if err := ScanText(&buf, rep); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(buf.String(), "\n") {
		if n := len([]rune(line)); n > textWidth {
			t.Errorf("line of %d columns: %q", n, line)
		}
	}
	if !strings.Contains(buf.String(), "Root test:  fails: ") {
		t.Errorf("header layout changed:\n%s", buf.String())
	}
}
