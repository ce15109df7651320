package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// TODO: placeholder until the explain command lands.
func newExplainCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "explain",
		Short: "explain (not yet available)",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("explain: not implemented")
		},
	}
}
