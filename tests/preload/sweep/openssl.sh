# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
openssl dgst -sha256 -r "$IN/data.txt"
openssl enc -aes-256-cbc -K 000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f -iv 0f0e0d0c0b0a09080706050403020100 -in "$IN/lines.txt" | openssl dgst -sha1 -r
echo hello | openssl base64 | openssl base64 -d
