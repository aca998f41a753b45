# Sourced by ike-daemon.sh: a throw-away PKI made with the openssl CLI in
# the test's temp dir (no key is ever committed).
#   pki_chain DIR SET KEYALG N-INTERMEDIATES  -> DIR/SET-root.crt and, for
#     each end entity made by pki_leaf, DIR/SET-WHO.{key,crt,chain}
#   pki_leaf DIR SET WHO KEYALG CN SAN       -> an end entity under SET's
#     lowest CA; WHO.chain = its certificate then the intermediates upwards
# KEYALG: rsa2048 | rsa3072 | rsa4096 | p256 | p384. Subjects are
# "O=mip6sec test, CN=<CN>" (asn1-dn identities are built from that).
pki_genkey() { # OUT ALG
	case $2 in
	rsa*) openssl genpkey -quiet -algorithm RSA -pkeyopt "rsa_keygen_bits:${2#rsa}" -out "$1" ;;
	p256 | p384) openssl genpkey -quiet -algorithm EC -pkeyopt "ec_paramgen_curve:P-${2#p}" -out "$1" ;;
	*) return 1 ;;
	esac 2>/dev/null
}
pki_sign() { # DIR NAME ISSUER SUBJ EXTLINES: NAME.csr signed by ISSUER
	local d=$1
	printf '%b' "$5" >"$d/$2.ext"
	openssl req -new -key "$d/$2.key" -subj "$4" -out "$d/$2.csr" 2>/dev/null &&
		openssl x509 -req -in "$d/$2.csr" -CA "$d/$3.crt" -CAkey "$d/$3.key" -CAcreateserial \
			-days 7 -extfile "$d/$2.ext" -out "$d/$2.crt" 2>/dev/null
}
pki_chain() {
	local d=$1 set=$2 alg=$3 n=$4 up i
	mkdir -p "$d"
	pki_genkey "$d/$set-root.key" "$alg" &&
		openssl req -x509 -new -key "$d/$set-root.key" -subj "/O=mip6sec test/CN=$set root" -days 7 \
			-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
			-out "$d/$set-root.crt" 2>/dev/null || return 1
	up=$set-root
	: >"$d/$set-ints.pem"
	for i in $(seq "$n"); do
		pki_genkey "$d/$set-ca$i.key" "$alg" &&
			pki_sign "$d" "$set-ca$i" "$up" "/O=mip6sec test/CN=$set ca$i" \
				'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n' || return 1
		cat "$d/$set-ca$i.crt" "$d/$set-ints.pem" >"$d/$set-ints.tmp" && mv "$d/$set-ints.tmp" "$d/$set-ints.pem"
		up=$set-ca$i
	done
	echo "$up" >"$d/$set-issuer"
}
pki_leaf() {
	local d=$1 set=$2 who=$3 alg=$4 cn=$5 san=$6
	pki_genkey "$d/$set-$who.key" "$alg" &&
		pki_sign "$d" "$set-$who" "$(cat "$d/$set-issuer")" "/O=mip6sec test/CN=$cn" \
			"basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectAltName=$san\n" &&
		cat "$d/$set-$who.crt" "$d/$set-ints.pem" >"$d/$set-$who.chain" && chmod 600 "$d/$set-$who.key"
}
