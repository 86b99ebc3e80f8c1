## Message corpus (tests/corpus/README.md): committed messages, the generator
## of the big ones, and its test.
TESTS += tests/corpus/t_corpus.sh
EXTRA_DIST += tests/corpus/mkcorpus.sh tests/corpus/t_corpus.sh tests/corpus/README.md
EXTRA_DIST += \
	tests/corpus/msgs/01-plain-ascii-lf.eml \
	tests/corpus/msgs/02-plain-crlf.eml \
	tests/corpus/msgs/03-outlook-alternative-qp.eml \
	tests/corpus/msgs/04-utf8-qp-flowed.eml \
	tests/corpus/msgs/05-apple-mail-pdf.eml \
	tests/corpus/msgs/06-related-inline-png.eml \
	tests/corpus/msgs/07-smime-signed.eml \
	tests/corpus/msgs/08-calendar-invite.eml \
	tests/corpus/msgs/09-rfc2047-encoded-words.eml \
	tests/corpus/msgs/10-raw-utf8-headers.eml \
	tests/corpus/msgs/11-8bit-undeclared.eml \
	tests/corpus/msgs/12-long-folded-header.eml \
	tests/corpus/msgs/13-long-line-5000.eml \
	tests/corpus/msgs/14-deep-nesting-10.eml \
	tests/corpus/msgs/15-message-rfc822.eml \
	tests/corpus/msgs/16-dot-stuffing.eml \
	tests/corpus/msgs/17-lone-cr.eml \
	tests/corpus/msgs/18-trailing-whitespace.eml \
	tests/corpus/msgs/19-no-final-newline.eml \
	tests/corpus/msgs/20-headers-only.eml \
	tests/corpus/msgs/21-empty-body.eml \
	tests/corpus/msgs/22-dkim-arc-received.eml \
	tests/corpus/msgs/23-mixed-line-endings.eml \
	tests/corpus/msgs/24-binary-cte.eml \
	tests/corpus/msgs/25-tnef-winmail.eml \
	tests/corpus/msgs/26-boundary-traps.eml \
	tests/corpus/msgs/27-rfc2231-filenames.eml \
	tests/corpus/msgs/28-iso-2022-jp.eml \
	tests/corpus/msgs/29-odd-headers.eml \
	tests/corpus/msgs/30-many-parts.eml \
	tests/corpus/msgs/31-html-only-base64.eml \
	tests/corpus/msgs/32-base64-64col-and-short.eml
