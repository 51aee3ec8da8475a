/* The one C translation unit: plain CRC-32 (IEEE), table built on first use. */
#include <stdint.h>

static uint32_t table[256];
static int table_ready;

uint32_t geo_crc32(const unsigned char *data, unsigned long len) {
  if (!table_ready) {
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
    table_ready = 1;
  }
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned long i = 0; i < len; i++) crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}
