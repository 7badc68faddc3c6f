/*
 * record.c - helpers over the record type tables of record.h.
 */
#include <string.h>

#include "core/record.h"

int record_field_index(const struct record_type *type, const char *name)
{
    for (size_t i = 0; i < type->n_fields; i++)
        if (strcmp(type->fields[i].name, name) == 0)
            return (int)i;
    return -1;
}

const char *rtype_zeek_name(enum rtype t)
{
    switch (t) {
    case RT_TIME: return "time";
    case RT_INTERVAL: return "interval";
    case RT_COUNT: return "count";
    case RT_PORT: return "port";
    case RT_INT: return "int";
    case RT_DOUBLE: return "double";
    case RT_BOOL: return "bool";
    case RT_STRING: return "string";
    case RT_ENUM: return "enum";
    case RT_ADDR: return "addr";
    case RT_SUBNET: return "subnet";
    case RT_SET_STRING: return "set[string]";
    case RT_VEC_STRING: return "vector[string]";
    case RT_VEC_INTERVAL: return "vector[interval]";
    case RT_VEC_COUNT: return "vector[count]";
    case RT_SET_ADDR: return "set[addr]";
    }
    return "string";
}
