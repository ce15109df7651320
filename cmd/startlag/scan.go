package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// TODO: placeholder until the scan command lands.
func newScanCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "scan",
		Short: "scan (not yet available)",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("scan: not implemented")
		},
	}
}
