/* Build helper: turn a model file into a C array so the plugin carries its
 * default models (no files need be installed for the elements to work).
 * usage: embed_model INPUT OUTPUT.c SYMBOL */
#include <stdio.h>

int
main (int argc, char **argv)
{
  if (argc != 4) {
    fprintf (stderr, "usage: %s INPUT OUTPUT.c SYMBOL\n", argv[0]);
    return 2;
  }
  FILE *in = fopen (argv[1], "rb");
  if (!in) {
    perror (argv[1]);
    return 1;
  }
  FILE *out = fopen (argv[2], "w");
  if (!out) {
    perror (argv[2]);
    return 1;
  }
  fprintf (out, "/* generated from %s by embed_model */\n#include <stddef.h>\n"
      "const unsigned char %s[] __attribute__ ((aligned (64))) = {\n", argv[1], argv[3]);
  int c;
  size_t n = 0;
  while ((c = fgetc (in)) != EOF) {
    fprintf (out, "%d,%s", c, (++n % 24) ? "" : "\n");
  }
  fprintf (out, "0};\nconst size_t %s_size = %zu;\n", argv[3], n);
  fclose (in);
  return fclose (out) ? 1 : 0;
}
