/** @file Build tool: turn a file into a C array (the bundled demo election), so that `pbvote demo`
 *  needs no data file at run time.  usage: pb-embed INPUT OUTPUT.c SYMBOL */
#include <stdio.h>

int main(int argc, char **argv)
{
        FILE *in, *out;
        size_t n = 0;
        int c;

        if (argc != 4)
                return 2;
        in = fopen(argv[1], "rb");
        out = fopen(argv[2], "w");
        if (!in || !out)
                return 1;
        fprintf(out, "/* generated from %s by pb-embed: do not edit */\n#include <stddef.h>\n", argv[1]);
        fprintf(out, "extern const unsigned char %s[];\nextern const size_t %s_len;\n", argv[3], argv[3]);
        fprintf(out, "const unsigned char %s[] = {", argv[3]);
        while ((c = fgetc(in)) != EOF)
                fprintf(out, "%s%d,", n++ % 24 ? "" : "\n", c);
        fprintf(out, "0};\nconst size_t %s_len = %zu;\n", argv[3], n);
        fclose(in);
        return fclose(out) ? 1 : 0;
}
