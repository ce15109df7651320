package volscan

// Report is everything `startlag scan` prints, whatever the mode; renderers in
// internal/report turn it into text or JSON.
type Report struct {
	// Mode is "check", "dry-run", "repair" or "estimate".
	Mode string
	// FSGroupSource is "flag" or "root-gid" (fsGroup taken from the volume root's group).
	FSGroupSource string
	// Listing is set when the input was a find listing rather than a walk.
	Listing bool
	// Exactly one of Check, Repair and Estimate is set (Repair and Estimate embed a Result).
	Check    *Result
	Repair   *RepairResult
	Estimate *Estimate
	// ListingErrors are the listing lines that could not be used.
	ListingErrors []error
}

// Result returns the check part of whichever result is set.
func (r *Report) Result() *Result {
	switch {
	case r.Repair != nil:
		return r.Repair.Result
	case r.Estimate != nil:
		return r.Estimate.Result
	}
	return r.Check
}
