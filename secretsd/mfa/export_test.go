package mfa

// Internals that the black-box tests (package mfa_test) check directly:
// the TOTP arithmetic against RFC 6238's vectors, and the decoders of
// untrusted input for fuzzing.
var (
	CodeAt            = codeAt
	MatchTOTP         = matchTOTP
	NormalizeTOTPCode = normalizeTOTPCode
)

const BackupKeySetting = backupKeySetting

func DecodeAssertion(b []byte) error {
	_, err := decodeAssertion(b)
	return err
}

func DecodeAttestation(b []byte) error {
	_, err := decodeAttestation(b)
	return err
}
