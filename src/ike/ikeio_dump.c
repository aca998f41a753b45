/*
 * ikeio_dump: the opt-in debug key dump (ike.key-dump; SENSITIVE): IKE and
 * ESP keys as tshark's ikev2_decryption_table / esp_sa UAT records.
 */
#include "ike/ikeio_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/addr.h"
#include "base/log.h"
#include "crypto/xform.h"

static void hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

static FILE *dump_open(const struct ikeio *io)
{
	const struct conf_ike *ike = ikeio_conf_ike(io);
	if (ike == NULL || ike->key_dump[0] == '\0')
		return NULL;
	int fd = open(ike->key_dump, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		LOG_RL(LOG_LVL_WARN, LOG_SUB_IKE, "key dump %s: %s", ike->key_dump, strerror(errno));
		return NULL;
	}
	FILE *f = fdopen(fd, "a");
	if (f == NULL)
		close(fd);
	return f;
}

/* tshark's names for the ikev2_decryption_table algorithms. */
static const char *tshark_ike_encr(const struct ikesa_prop *s)
{
	if (s->encr == XFORM_ENCR_AES_GCM_16)
		return s->key_bits == 256 ? "AES-GCM-256 with 16 octet ICV [RFC5282]"
					  : "AES-GCM-128 with 16 octet ICV [RFC5282]";
	if (s->encr == XFORM_ENCR_AES_CBC)
		return s->key_bits == 256 ? "AES-CBC-256 [RFC3602]" : "AES-CBC-128 [RFC3602]";
	return NULL;
}

/* One ikev2_decryption_table record per IKE SA: "ikev2_decryption_table:"
 * then the record, ready for tshark -o uat:LINE. */
void ikeio_dump_ike(struct ikeio_sa *e)
{
	FILE *f = dump_open(e->io);
	if (f == NULL)
		return;
	struct ikesa_sk_dump k;
	if (ikesa_debug_sk_dump(e->sa, &k) == 0 && tshark_ike_encr(&k.suite) != NULL) {
		fprintf(f, "ikev2_decryption_table:%016llx,%016llx,", (unsigned long long)k.spi_i,
			(unsigned long long)k.spi_r);
		hex(f, k.sk_ei, k.encr_len);
		fputc(',', f);
		hex(f, k.sk_er, k.encr_len);
		fprintf(f, ",\"%s\",", tshark_ike_encr(&k.suite));
		hex(f, k.sk_ai, k.integ_len);
		fputc(',', f);
		hex(f, k.sk_ar, k.integ_len);
		fprintf(f, ",\"%s\"\n", k.integ_len != 0 ? "HMAC_SHA2_256_128 [RFC4868]" : "NONE [RFC4306]");
		LOG_WARN(LOG_SUB_IKE, "IKE SA %016llx keys written to the key dump", (unsigned long long)k.spi_i);
	}
	OPENSSL_cleanse(&k, sizeof(k));
	fclose(f);
}

/* Two esp_sa records (each direction) for tshark -o uat:LINE. */
static void dump_esp_one(FILE *f, const struct in6_addr *src, const struct in6_addr *dst, uint32_t spi,
			 const struct ikesa_child *c, const uint8_t *km)
{
	char s[ADDR_STRLEN], d[ADDR_STRLEN];
	bool gcm = c->encr == XFORM_ENCR_AES_GCM_16;
	size_t ek = gcm ? c->keymat_len : (size_t)c->key_bits / 8;
	fprintf(f, "esp_sa:\"IPv6\",\"%s\",\"%s\",\"0x%08x\",\"%s\",\"0x", addr_fmt(src, s, sizeof(s)),
		addr_fmt(dst, d, sizeof(d)), spi, gcm ? "AES-GCM with 16 octet ICV [RFC4106]" : "AES-CBC [RFC3602]");
	hex(f, km, ek);
	fprintf(f, "\",\"%s\",\"", gcm ? "NULL" : "HMAC-SHA-256-128 [RFC4868]");
	if (!gcm) {
		fputs("0x", f);
		hex(f, km + ek, c->keymat_len - ek);
	}
	fputs("\"\n", f);
}

void ikeio_dump_esp(struct ikeio_sa *e, const struct ikesa_child *c)
{
	if (c->encr != XFORM_ENCR_AES_GCM_16 && c->encr != XFORM_ENCR_AES_CBC)
		return;
	FILE *f = dump_open(e->io);
	if (f == NULL)
		return;
	dump_esp_one(f, &e->cur.local, &e->cur.remote, c->spi_out, c, c->keymat_out);
	dump_esp_one(f, &e->cur.remote, &e->cur.local, c->spi_in, c, c->keymat_in);
	fclose(f);
}
