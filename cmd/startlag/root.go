package main

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/startlag/startlag/internal/report"
)

// streams are the command's standard streams: results go to Out, messages to Err.
type streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// exitCodesHelp is the whole exit-code table, for the root command; each verb lists its own.
const exitCodesHelp = `Exit status:
  0    clean: no finding at or above --fail-on; scan verdict safe
  1    findings at or above --fail-on; scan verdict unsafe
  2    usage error; input that could not be read or parsed (other inputs are still processed);
       audit: no Kubernetes object in the input; explain: no pod in the inputs
  3    scan verdict walks-anyway (the volume root fails the OnRootMismatch test)
  130  interrupted`

// subcommands is the explicit list of startlag's verbs.
var subcommands = []func(streams) *cobra.Command{
	newAuditCmd,
	newExplainCmd,
	newScanCmd,
}

func newRootCmd(s streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "startlag",
		Short: "Find and explain what makes Kubernetes pods slow to start",
		Long: `startlag finds the Kubernetes defaults that make pods slow to start as their data grows:
the kubelet's recursive fsGroup ownership change at every mount first, and the start-up
hazards of the same kind (recursive chown init containers, SELinux relabels, Multi-Attach
waits).

` + exitCodesHelp,
		Version:       report.ToolVersion(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.CompletionOptions.DisableDefaultCmd = true
	for _, newCmd := range subcommands {
		root.AddCommand(newCmd(s))
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	wrapFlagHelp(root)
	return root
}

// helpWidth is the width flag descriptions are wrapped at in --help, as the reports wrap.
const helpWidth = 100

// wrapFlagHelp makes --help wrap flag descriptions at helpWidth (cobra prints each on one
// line, up to 150 columns here).
func wrapFlagHelp(root *cobra.Command) {
	cobra.AddTemplateFunc("wrappedFlags", func(f *pflag.FlagSet) string {
		return f.FlagUsagesWrapped(helpWidth)
	})
	t := root.UsageTemplate()
	t = strings.ReplaceAll(t, ".LocalFlags.FlagUsages", "wrappedFlags .LocalFlags")
	t = strings.ReplaceAll(t, ".InheritedFlags.FlagUsages", "wrappedFlags .InheritedFlags")
	root.SetUsageTemplate(t)
}

// run executes startlag with args and returns the exit code. Only main calls os.Exit.
func run(ctx context.Context, args []string, s streams) int {
	root := newRootCmd(s)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	code := exitCode(err)
	if err != nil && err.Error() != "" {
		var ce *codeError
		if !isCodeOnly(err, &ce) {
			report.Message(s.Err, "", errorText(err))
		}
	}
	return code
}

// errorText is how an error is told on stderr: a cancellation is an interruption, with the
// step it stopped ("interrupted: repairing DIR").
func errorText(err error) string {
	if !errors.Is(err, context.Canceled) {
		return err.Error()
	}
	step := strings.TrimSuffix(err.Error(), context.Canceled.Error())
	if step = strings.TrimSuffix(step, ": "); step == "" {
		return "interrupted"
	}
	return "interrupted: " + step
}

// isCodeOnly reports whether err only carries an exit code and nothing to print.
func isCodeOnly(err error, ce **codeError) bool {
	c, ok := err.(*codeError)
	if ok {
		*ce = c
	}
	return ok && c.err == nil
}
