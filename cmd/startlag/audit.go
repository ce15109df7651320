package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// TODO: placeholder until the audit command lands.
func newAuditCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "audit",
		Short: "audit (not yet available)",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("audit: not implemented")
		},
	}
}
