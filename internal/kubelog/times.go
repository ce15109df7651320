package kubelog

import (
	"bytes"
	"strconv"
	"time"
)

// Options complete what a framing leaves out.
type Options struct {
	// Year is the year of klog and syslog stamps, which carry none; 0 means the current year.
	Year int
	// Location is the zone of klog and syslog stamps, which carry none; nil means UTC.
	Location *time.Location
}

func (o Options) loc() *time.Location {
	if o.Location == nil {
		return time.UTC
	}
	return o.Location
}

func (o Options) year() int {
	if o.Year == 0 {
		return time.Now().UTC().Year()
	}
	return o.Year
}

// lineTime resolves the frame's stamps into one time. A full outer stamp (year and zone)
// wrapping a klog stamp lends its year and zone to the klog stamp's microseconds when both
// agree to within a minute.
func lineTime(f *frame, o Options) (t time.Time, yearAssumed bool) {
	in, inFull := parseStamp(f.inner, o)
	out, outFull := parseStamp(f.outer, o)
	switch {
	case in.IsZero():
		return out, !out.IsZero() && !outFull
	case out.IsZero() || inFull:
		return in, !inFull
	case outFull:
		return borrowYearZone(in, out), false
	}
	return in, true
}

// borrowYearZone rebuilds in (no year or zone) in out's year and zone if they agree.
func borrowYearZone(in, out time.Time) time.Time {
	for _, y := range []int{out.Year(), out.Year() - 1, out.Year() + 1} {
		t := time.Date(y, in.Month(), in.Day(), in.Hour(), in.Minute(), in.Second(),
			in.Nanosecond(), out.Location())
		if d := t.Sub(out); d > -time.Minute && d < time.Minute {
			return t
		}
	}
	return out
}

// parseStamp parses a raw stamp; full reports whether it carried its own year and zone. A stamp
// outside the years a kubelet can have written (see plausible) gives the zero time.
func parseStamp(s stamp, o Options) (t time.Time, full bool) {
	t, full = parseStampRaw(s, o)
	if !plausible(t) {
		return time.Time{}, false
	}
	return t, full
}

// plausible reports whether t lies in the years Kubernetes logs can come from: a stamp of 1969
// or of the year 2e11 is damage, and one such line would stretch a timeline to centuries.
func plausible(t time.Time) bool {
	y := t.Year()
	return !t.IsZero() && y >= 2010 && y < 2200
}

func parseStampRaw(s stamp, o Options) (t time.Time, full bool) {
	switch s.kind {
	case stampKlog:
		return parseKlogStamp(s.raw, o), false
	case stampSyslog:
		return parseSyslogStamp(s.raw, o), false
	case stampISO:
		return parseISO(s.raw, o)
	case stampEpoch:
		return parseEpoch(s.raw, o), true
	case stampMicros:
		n, err := strconv.ParseInt(string(s.raw), 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.UnixMicro(n).In(o.loc()), true
	}
	return time.Time{}, false
}

// parseKlogStamp parses "mmdd hh:mm:ss.uuuuuu".
func parseKlogStamp(b []byte, o Options) time.Time {
	if len(b) < 13 {
		return time.Time{}
	}
	mo, d := atoi2(b[0:2]), atoi2(b[2:4])
	h, mi, sec := atoi2(b[5:7]), atoi2(b[8:10]), atoi2(b[11:13])
	if mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 {
		return time.Time{}
	}
	return calendarDate(o.year(), mo, d, h, mi, sec, fraction(b[13:]), o.loc())
}

// calendarDate is time.Date for a date that exists: February 30 gives the zero time rather
// than March 2.
func calendarDate(y, mo, d, h, mi, sec, ns int, loc *time.Location) time.Time {
	t := time.Date(y, time.Month(mo), d, h, mi, sec, ns, loc)
	if t.Month() != time.Month(mo) || t.Day() != d {
		return time.Time{}
	}
	return t
}

// parseSyslogStamp parses "Mmm dd hh:mm:ss[.frac]" (day may be space-padded).
func parseSyslogStamp(b []byte, o Options) time.Time {
	if len(b) < 15 {
		return time.Time{}
	}
	mo := monthIndex(b[:3])
	d := atoi2(bytes.TrimLeft(b[4:6], " "))
	h, mi, sec := atoi2(b[7:9]), atoi2(b[10:12]), atoi2(b[13:15])
	if mo == 0 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 {
		return time.Time{}
	}
	return calendarDate(o.year(), mo, d, h, mi, sec, fraction(b[15:]), o.loc())
}

// isoLayouts are the full-stamp shapes seen in runtime logs, journald and exports.
var isoLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02 15:04:05,999999999Z07:00",
}

// zoneless are ISO shapes without a zone, read in Options.Location.
var zoneless = []string{
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05,999999999",
}

// parseISO parses an ISO-like stamp; full is false for zoneless stamps.
func parseISO(b []byte, o Options) (time.Time, bool) {
	s := string(bytes.TrimSpace(b))
	for _, l := range isoLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true // keeps the stamp's own offset, which year-less inner stamps borrow
		}
	}
	for _, l := range zoneless {
		if t, err := time.ParseInLocation(l, s, o.loc()); err == nil {
			return t, false
		}
	}
	return time.Time{}, false
}

// parseEpoch parses decimal epoch seconds ("1775978102.118").
func parseEpoch(b []byte, o Options) time.Time {
	sec, frac, _ := bytes.Cut(b, []byte("."))
	n, err := strconv.ParseInt(string(sec), 10, 64)
	if err != nil || len(b) == 0 {
		return time.Time{}
	}
	return time.Unix(n, int64(fraction(append([]byte("."), frac...)))).In(o.loc())
}

// fraction parses ".uuuuuu" (any number of digits) into nanoseconds.
func fraction(b []byte) int {
	if len(b) < 2 || (b[0] != '.' && b[0] != ',') {
		return 0
	}
	ns, scale := 0, 100000000
	for _, c := range b[1:] {
		if !isDigit(c) || scale == 0 {
			break
		}
		ns += int(c-'0') * scale
		scale /= 10
	}
	return ns
}

func atoi2(b []byte) int {
	if len(b) == 1 && isDigit(b[0]) {
		return int(b[0] - '0')
	}
	if len(b) != 2 || !isDigit(b[0]) || !isDigit(b[1]) {
		return -1
	}
	return int(b[0]-'0')*10 + int(b[1]-'0')
}
