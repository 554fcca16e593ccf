// Command note-verify checks Zhixin's cosigned checkpoints with an implementation that
// shares no code with Zhixin's: Go's golang.org/x/mod/sumdb/note (signed notes, type 0x01
// Ed25519 log keys) and Go's crypto/ed25519. Driven by test/interop/note-verify.test.ts.
//
// x/mod's note package (0.7.0, Debian's golang-golang-x-mod-dev) knows no cosignatures
// (c2sp.org/tlog-cosignature, type 0x04). So a cosignature/v1 verifier and signer are
// written here from the spec alone, as note.Verifier and note.Signer, and x/mod's note.Open
// and note.Sign read, check and write the note around them:
//
//	key ID  = SHA-256(name || "\n" || 0x04 || 32-byte Ed25519 key)[:4]
//	line    = "— " name " " base64(key ID || timestamp[8, big-endian] || Ed25519 sig[64])
//	message = "cosignature/v1\n" "time " decimal(timestamp) "\n" <note text>
//
// Input (stdin, JSON): {"mode": "verify", "note", "logVkey", "witnessVkeys": [...]} or
// {"mode": "cosign", "note", "logVkey", "name", "seed" (hex), "timestamp"}. Output
// (stdout, JSON): for verify, the note opened with the log's key alone ("plain") and with
// the log's and the witnesses' keys ("cosigned"); for cosign, the note x/mod's note.Sign
// writes with the log's line and one cosignature. Exit status 2 for bad input.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

const cosignatureType = 0x04

type input struct {
	Mode         string   `json:"mode"`
	Note         string   `json:"note"`
	LogVkey      string   `json:"logVkey"`
	WitnessVkeys []string `json:"witnessVkeys"`
	Name         string   `json:"name"`
	Seed         string   `json:"seed"`
	Timestamp    uint64   `json:"timestamp"`
}

type opened struct {
	// "" when note.Open succeeded, else "invalid-signature", "unverified", "malformed" or
	// the error's text.
	Error      string            `json:"error"`
	Verified   []string          `json:"verified"`
	Unverified []string          `json:"unverified"`
	Timestamps map[string]uint64 `json:"timestamps"`
	Text       string            `json:"text"`
}

func keyID(name string, typ byte, key []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write([]byte{typ})
	h.Write(key)
	return binary.BigEndian.Uint32(h.Sum(nil)[:4])
}

func message(text []byte, timestamp uint64) []byte {
	return append([]byte("cosignature/v1\ntime "+strconv.FormatUint(timestamp, 10)+"\n"), text...)
}

// cosignatureVerifier is a note.Verifier for one witness's cosignature/v1 key.
type cosignatureVerifier struct {
	name string
	hash uint32
	key  ed25519.PublicKey
	seen map[string]uint64
}

func (v *cosignatureVerifier) Name() string    { return v.name }
func (v *cosignatureVerifier) KeyHash() uint32 { return v.hash }
func (v *cosignatureVerifier) Verify(text, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	timestamp := binary.BigEndian.Uint64(sig[:8])
	if timestamp > 1<<63-1 || !ed25519.Verify(v.key, message(text, timestamp), sig[8:]) {
		return false
	}
	v.seen[v.name] = timestamp
	return true
}

// parseCosignatureVkey reads "<name>+<key ID hex>+base64(0x04 || key)" and checks the key ID.
func parseCosignatureVkey(vkey string, seen map[string]uint64) (*cosignatureVerifier, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return nil, errors.New("vkey: want name+hash+key")
	}
	key, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(key) != 1+ed25519.PublicKeySize || key[0] != cosignatureType {
		return nil, errors.New("vkey: want base64(0x04 || 32-byte key)")
	}
	hash, err := strconv.ParseUint(parts[1], 16, 32)
	if err != nil || len(parts[1]) != 8 || uint32(hash) != keyID(parts[0], cosignatureType, key[1:]) {
		return nil, errors.New("vkey: key ID is not the key's")
	}
	return &cosignatureVerifier{name: parts[0], hash: uint32(hash), key: key[1:], seen: seen}, nil
}

// cosignatureSigner is a note.Signer that writes cosignature/v1 at a fixed timestamp.
type cosignatureSigner struct {
	name      string
	hash      uint32
	key       ed25519.PrivateKey
	timestamp uint64
}

func (s *cosignatureSigner) Name() string    { return s.name }
func (s *cosignatureSigner) KeyHash() uint32 { return s.hash }
func (s *cosignatureSigner) Sign(text []byte) ([]byte, error) {
	sig := binary.BigEndian.AppendUint64(nil, s.timestamp)
	return append(sig, ed25519.Sign(s.key, message(text, s.timestamp))...), nil
}

func open(msg string, verifiers []note.Verifier, seen map[string]uint64) opened {
	out := opened{Verified: []string{}, Unverified: []string{}, Timestamps: seen}
	n, err := note.Open([]byte(msg), note.VerifierList(verifiers...))
	var invalid *note.InvalidSignatureError
	var unverified *note.UnverifiedNoteError
	switch {
	case err == nil:
	case errors.As(err, &invalid):
		out.Error = "invalid-signature"
		return out
	case errors.As(err, &unverified):
		out.Error = "unverified"
		n = unverified.Note
	case err.Error() == "malformed note":
		out.Error = "malformed"
		return out
	default:
		out.Error = err.Error()
		return out
	}
	out.Text = n.Text
	for _, s := range n.Sigs {
		out.Verified = append(out.Verified, s.Name)
	}
	for _, s := range n.UnverifiedSigs {
		out.Unverified = append(out.Unverified, s.Name)
	}
	return out
}

func run(in input) (any, error) {
	logVerifier, err := note.NewVerifier(in.LogVkey)
	if err != nil {
		return nil, fmt.Errorf("log vkey: %w", err)
	}
	switch in.Mode {
	case "verify":
		seen := map[string]uint64{}
		verifiers := []note.Verifier{logVerifier}
		for _, vkey := range in.WitnessVkeys {
			v, err := parseCosignatureVkey(vkey, seen)
			if err != nil {
				return nil, err
			}
			verifiers = append(verifiers, v)
		}
		return map[string]opened{
			"plain":    open(in.Note, []note.Verifier{logVerifier}, map[string]uint64{}),
			"cosigned": open(in.Note, verifiers, seen),
		}, nil
	case "cosign":
		seed, err := hex.DecodeString(in.Seed)
		if err != nil || len(seed) != ed25519.SeedSize {
			return nil, errors.New("seed: want 32 bytes in hex")
		}
		key := ed25519.NewKeyFromSeed(seed)
		pub := key.Public().(ed25519.PublicKey)
		n, err := note.Open([]byte(in.Note), note.VerifierList(logVerifier))
		if err != nil {
			return nil, fmt.Errorf("open: %w", err)
		}
		signer := &cosignatureSigner{in.Name, keyID(in.Name, cosignatureType, pub), key, in.Timestamp}
		signed, err := note.Sign(n, signer)
		if err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
		return map[string]string{"note": string(signed)}, nil
	}
	return nil, fmt.Errorf("mode %q: want verify or cosign", in.Mode)
}

func main() {
	var in input
	dec := json.NewDecoder(os.Stdin)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		fmt.Fprintln(os.Stderr, "input:", err)
		os.Exit(2)
	}
	out, err := run(in)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "output:", err)
		os.Exit(2)
	}
	os.Stdout.Write(buf.Bytes())
}
