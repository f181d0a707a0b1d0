package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/mdp/qrterminal/v3"
	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/internal/cli/output"
	"github.com/portcullis/portcullis/secretsd/client"
)

func newMFACommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mfa",
		Short: "Your second factors: TOTP devices, backup codes",
		Long: `Manage your own second factors. TOTP devices (authenticator apps) are enrolled
here; WebAuthn security keys are registered in the control center, since the
ceremony needs a browser.`,
	}
	totp := &cobra.Command{Use: "totp", Short: "TOTP devices (authenticator apps)"}
	totp.AddCommand(newTOTPEnrollCommand(a), newTOTPConfirmCommand(a))
	cmd.AddCommand(totp, newBackupCodesCommand(a), newDevicesCommand(a))
	return cmd
}

func newTOTPEnrollCommand(a *app) *cobra.Command {
	var (
		name      string
		code      string
		noConfirm bool
	)
	cmd := &cobra.Command{
		Use:   "enroll",
		Short: "Add a TOTP device: show its QR code, then confirm it with a first code",
		Long: `Add a TOTP device: the QR code is printed in the terminal (scan it with the
authenticator app), with the secret for manual entry; then the first code the
app shows is asked to confirm the device. --code gives that code, --no-confirm
stops before it (confirm later with ` + "`portcullis mfa totp confirm ID`" + `).
The secret is shown this once.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			f, err := a.outputFormat()
			if err != nil {
				return err
			}
			if noConfirm && code != "" {
				return fmt.Errorf("--code and --no-confirm exclude each other")
			}
			c, _, err := a.loggedIn(ctx, false)
			if err != nil {
				return err
			}
			enr, err := c.EnrollTOTP(ctx, name)
			if err != nil {
				return fmt.Errorf("enrolling a TOTP device: %w", err)
			}
			if f == output.FormatTable {
				printEnrollment(a.stdout, enr)
			}
			if noConfirm {
				if f == output.FormatJSON {
					return output.JSON(a.stdout, enr)
				}
				fmt.Fprintf(a.stdout, "Confirm it with: portcullis mfa totp confirm %s\n", output.Cell(enr.Device.ID))
				return nil
			}
			if code, err = a.totpCode(code); err != nil {
				return err
			}
			dev, err := c.ConfirmTOTP(ctx, enr.Device.ID, code)
			if err != nil {
				return fmt.Errorf("confirming TOTP device %s (retry with `portcullis mfa totp confirm %s`): %w", enr.Device.ID, enr.Device.ID, err)
			}
			enr.Device = dev
			if f == output.FormatJSON {
				return output.JSON(a.stdout, enr)
			}
			return printConfirmed(a.stdout, dev)
		},
	}
	cmd.Flags().StringVar(&name, "name", "authenticator", "a name for the device, to tell it apart in \"mfa devices\"")
	cmd.Flags().StringVar(&code, "code", "", "the first code, to confirm without a prompt")
	cmd.Flags().BoolVar(&noConfirm, "no-confirm", false, "only enroll; confirm later with \"portcullis mfa totp confirm ID\"")
	return cmd
}

// printEnrollment shows the QR code in half blocks (two modules per
// character cell, so that it fits a terminal) and the secret for manual
// entry.
func printEnrollment(w io.Writer, enr client.TOTPEnrollment) {
	fmt.Fprintln(w, "Scan this QR code with your authenticator app:")
	qrterminal.GenerateWithConfig(enr.URI, qrterminal.Config{
		Level:          qrterminal.L,
		Writer:         w,
		HalfBlocks:     true,
		BlackChar:      qrterminal.BLACK_BLACK,
		WhiteBlackChar: qrterminal.WHITE_BLACK,
		WhiteChar:      qrterminal.WHITE_WHITE,
		BlackWhiteChar: qrterminal.BLACK_WHITE,
		QuietZone:      2,
	})
	fmt.Fprintf(w, "Or enter this secret by hand: %s\n", output.Cell(enr.Secret))
	fmt.Fprintf(w, "Device: %s (%s), shown this once.\n", output.Cell(enr.Device.ID), output.Cell(enr.Device.Name))
}

// totpCode is the code given with --code, else the one typed at the prompt,
// without the spaces that apps show in it ("123 456").
func (a *app) totpCode(given string) (string, error) {
	code := given
	if code == "" {
		var err error
		if code, err = a.readSecret("Code shown by the app: ", "TOTP code"); err != nil {
			return "", err
		}
	}
	return strings.ReplaceAll(strings.TrimSpace(code), " ", ""), nil
}

// printConfirmed is the table output of a confirmed device, for enroll and confirm.
func printConfirmed(w io.Writer, dev client.Device) error {
	_, err := fmt.Fprintf(w, "TOTP device %q (%s) confirmed.\n", output.Cell(dev.Name), output.Cell(dev.ID))
	return err
}

func newTOTPConfirmCommand(a *app) *cobra.Command {
	var code string
	cmd := &cobra.Command{
		Use:   "confirm DEVICE-ID",
		Short: "Confirm an enrolled TOTP device with a code from it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client(cmd)
			if err != nil {
				return err
			}
			if code, err = a.totpCode(code); err != nil {
				return err
			}
			dev, err := c.ConfirmTOTP(cmd.Context(), args[0], code)
			if err != nil {
				return err
			}
			return a.print(map[string]any{"device": dev}, func(w io.Writer) error { return printConfirmed(w, dev) })
		},
	}
	cmd.Flags().StringVar(&code, "code", "", "the code (instead of the prompt)")
	return cmd
}

func newBackupCodesCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "backup-codes",
		Short: "Generate 10 new single-use backup codes (the old ones stop working)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return query(a, cmd, (*client.Client).GenerateBackupCodes, func(codes []string) error {
				a.note("These %d backup codes are shown only now. Keep them somewhere safe, away from this device:\n"+
					"each signs you in once when your authenticator is not at hand. Any older codes no longer work.", len(codes))
				return a.print(map[string]any{"codes": codes}, func(w io.Writer) error {
					for _, c := range codes {
						if _, err := fmt.Fprintln(w, output.Cell(c)); err != nil {
							return err
						}
					}
					return nil
				})
			})
		},
	}
}

func newDevicesCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "devices",
		Short: "List your second-factor devices and how many backup codes are left",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return query(a, cmd, (*client.Client).Devices, func(devs client.Devices) error {
				return a.print(devs, func(w io.Writer) error {
					rows := make([][]string, 0, len(devs.Devices))
					for _, d := range devs.Devices {
						rows = append(rows, []string{d.ID, d.Kind, d.Name, output.Bool(d.Confirmed), output.Time(d.CreatedAt), output.Time(d.LastUsedAt)})
					}
					if err := output.Table(w, []string{"ID", "KIND", "NAME", "CONFIRMED", "CREATED", "LAST USED"}, rows); err != nil {
						return err
					}
					_, err := fmt.Fprintf(w, "\nBackup codes left: %d\n", devs.BackupCodesLeft)
					return err
				})
			})
		},
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "remove DEVICE-ID",
		Short: "Remove one of your devices (not the last factor of an account that requires MFA)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, _, err := a.loggedIn(cmd.Context(), false)
			if err != nil {
				return err
			}
			if err := c.RemoveDevice(cmd.Context(), args[0]); err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.stdout, "Removed device %s.\n", output.Cell(args[0]))
			return err
		},
	})
	return cmd
}
